/* One channel or server argument per line. gRPC core 1.51's grpc_channel_arg_integer_create and
 * grpc_channel_arg_string_create are exported with C++ linkage only, so C needs its own. */
#ifndef COMMON_GRPCARG_H
#define COMMON_GRPCARG_H

#include <grpc/grpc.h>

static inline grpc_arg grpcarg_int(const char *key, int value) {
  grpc_arg a = {.type = GRPC_ARG_INTEGER, .key = (char *)key, .value.integer = value};
  return a;
}

/* `value` is borrowed: it must outlive the channel or server creation call. */
static inline grpc_arg grpcarg_string(const char *key, char *value) {
  grpc_arg a = {.type = GRPC_ARG_STRING, .key = (char *)key, .value.string = value};
  return a;
}

#endif
