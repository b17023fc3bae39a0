/* protobuf-c messages <-> grpc_byte_buffer. */
#ifndef COMMON_PBUF_H
#define COMMON_PBUF_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

/* Serializes `msg` into a new byte buffer; the caller owns it (grpc_byte_buffer_destroy, or hand it
 * to a SEND_MESSAGE op and destroy it after the batch completes). gRPC's allocator aborts on
 * out-of-memory, so this never returns NULL. */
grpc_byte_buffer *pbuf_pack(const ProtobufCMessage *msg);

/* Decodes `bb` (not consumed: the caller still destroys it) as `desc`. On success stores a message
 * the caller frees with protobuf_c_message_free_unpacked(*out, NULL) and returns 0; returns -1 when
 * the buffer is NULL or not a valid message. */
int pbuf_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out);

#endif
