/* The greeter server's request decoding without a live call: the bytes of a message as gRPC core hands
 * them over (a grpc_byte_buffer, here of two slices so that pbuf_unpack's flattening is exercised),
 * decoded by pbuf_unpack (src/common/pbuf.c) as helloworld.HelloRequest and as
 * grpc.health.v1.HealthCheckRequest, then what server.c does with a decoded request: the reply
 * "<NAME>: Hello <name>" packed with pbuf_pack, the name split and sanitized for the log line, the
 * health service lookup. server.c's handlers are static and need a call, so those few lines are
 * repeated here. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <string.h>

#include "fuzz.h"
#include "health.pb-c.h"
#include "helloworld.pb-c.h"
#include "log.h"
#include "pbuf.h"

static grpc_byte_buffer *buffer_of(const uint8_t *data, size_t size) {
  size_t cut = size / 3;
  grpc_slice s[2] = {grpc_slice_from_copied_buffer((const char *)data, cut),
                     grpc_slice_from_copied_buffer((const char *)data + cut, size - cut)};
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(s, 2);
  grpc_slice_unref(s[0]);
  grpc_slice_unref(s[1]);
  return bb;
}

/* The length of what pbuf_pack produced. */
static size_t packed_len(grpc_byte_buffer *bb) {
  grpc_byte_buffer_reader r;
  FUZZ_ASSERT(grpc_byte_buffer_reader_init(&r, bb));
  grpc_slice flat = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  size_t n = GRPC_SLICE_LENGTH(flat);
  grpc_slice_unref(flat);
  return n;
}

static void say_hello(grpc_byte_buffer *bb) {
  static const char server_name[] = "server-1";
  Helloworld__HelloRequest *req = NULL;
  if (pbuf_unpack(bb, &helloworld__hello_request__descriptor, (ProtobufCMessage **)&req) != 0) return;
  FUZZ_ASSERT(req->name != NULL);
  size_t len = strlen(server_name) + strlen(req->name) + 16;
  char *text = malloc(len);
  FUZZ_ASSERT(text != NULL);
  snprintf(text, len, "%s: Hello %s", server_name, req->name);
  Helloworld__HelloReply reply = HELLOWORLD__HELLO_REPLY__INIT;
  reply.message = text;
  grpc_byte_buffer *msg = pbuf_pack(&reply.base);
  FUZZ_ASSERT(packed_len(msg) == protobuf_c_message_get_packed_size(&reply.base));
  grpc_byte_buffer_destroy(msg);
  free(text);

  const char *us = strrchr(req->name, '_');
  size_t full = strlen(req->name);
  char name[160], from[160], counter[32];
  log_sanitize(req->name, full, name, sizeof name);
  log_sanitize(req->name, us ? (size_t)(us - req->name) : full, from, sizeof from);
  log_sanitize(us ? us + 1 : "-", us ? strlen(us + 1) : 1, counter, sizeof counter);
  /* One line, key=value: nothing a client sends may add a space, '=' or a line break. */
  for (const char *f[] = {name, from, counter}, **p = f; p < f + 3; p++) FUZZ_ASSERT(strpbrk(*p, " =\"\n\r\t") == NULL);
  protobuf_c_message_free_unpacked(&req->base, NULL);
}

static void health_check(grpc_byte_buffer *bb) {
  Grpc__Health__V1__HealthCheckRequest *req = NULL;
  if (pbuf_unpack(bb, &grpc__health__v1__health_check_request__descriptor, (ProtobufCMessage **)&req) != 0) return;
  FUZZ_ASSERT(req->service != NULL);
  int known = strcmp(req->service, "") == 0 || strcmp(req->service, "helloworld.Greeter") == 0;
  Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  resp.status = known ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                      : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN;
  grpc_byte_buffer *msg = pbuf_pack(&resp.base);
  grpc_byte_buffer_destroy(msg);
  protobuf_c_message_free_unpacked(&req->base, NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_init(); /* byte buffers and slices need no more than this: no channel, no server */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  grpc_byte_buffer *bb = buffer_of(data, size);
  say_hello(bb);
  health_check(bb);
  grpc_byte_buffer_destroy(bb);
  return 0;
}
