// greeter-cpp-client: a gRPC client that is not ours (Debian's libgrpc++ and Google's protobuf), for the
// wire-compatibility tests.
//
//   greeter-cpp-client hello TARGET NAME...     one SayHello per NAME (generated stub); prints each reply
//   greeter-cpp-client health TARGET [SERVICE]  grpc.health.v1.Health/Check through the generic stub;
//                                               prints the status name (SERVING, NOT_SERVING, ...)
//   greeter-cpp-client call TARGET METHOD [HEX] the request bytes HEX (default none) to METHOD through the
//                                               generic stub; prints "ok reply=<hex of the reply bytes>"
//
// Every call has a 5 s deadline and waits for the channel to be ready. A failed call prints
// "error code=N message=..." on stdout. Exit status: 0 iff every call succeeded, 1 otherwise, 2 on bad usage.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "health.pb.h"
#include "helloworld.grpc.pb.h"

namespace {

constexpr auto kDeadline = std::chrono::seconds(5);

void PrepareContext(grpc::ClientContext *ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + kDeadline);
  ctx->set_wait_for_ready(true);
}

bool Report(const grpc::Status &st) {
  if (st.ok()) return true;
  std::printf("error code=%d message=%s\n", static_cast<int>(st.error_code()), st.error_message().c_str());
  return false;
}

int Hello(const std::shared_ptr<grpc::Channel> &ch, int argc, char **argv) {
  std::unique_ptr<helloworld::Greeter::Stub> stub = helloworld::Greeter::NewStub(ch);
  int failed = 0;
  for (int i = 0; i < argc; i++) {
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    helloworld::HelloRequest req;
    req.set_name(argv[i]);
    helloworld::HelloReply reply;
    if (Report(stub->SayHello(&ctx, req, &reply)))
      std::printf("%s\n", reply.message().c_str());
    else
      failed++;
  }
  return failed ? 1 : 0;
}

// One unary call through the generic stub: the request and reply are opaque bytes.
grpc::Status GenericUnary(const std::shared_ptr<grpc::Channel> &ch, const std::string &method,
                          const std::string &request, std::string *reply) {
  grpc::GenericStub stub(ch);
  grpc::ClientContext ctx;
  PrepareContext(&ctx);
  grpc::Slice req_slice(request);
  grpc::ByteBuffer req_bb(&req_slice, 1), reply_bb;
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc = stub.PrepareUnaryCall(&ctx, method, req_bb, &cq);
  grpc::Status st;
  rpc->StartCall();
  rpc->Finish(&reply_bb, &st, reinterpret_cast<void *>(1));
  void *tag;
  bool ok;
  if (!cq.Next(&tag, &ok) || !ok) return grpc::Status(grpc::StatusCode::INTERNAL, "completion queue failed");
  std::vector<grpc::Slice> slices;
  if (st.ok() && reply_bb.Dump(&slices).ok())
    for (const grpc::Slice &s : slices) reply->append(reinterpret_cast<const char *>(s.begin()), s.size());
  return st;
}

int Health(const std::shared_ptr<grpc::Channel> &ch, const char *service) {
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  std::string reply_bytes;
  if (!Report(GenericUnary(ch, "/grpc.health.v1.Health/Check", req.SerializeAsString(), &reply_bytes))) return 1;
  grpc::health::v1::HealthCheckResponse resp;
  if (!resp.ParseFromString(reply_bytes)) {
    std::printf("error bad HealthCheckResponse (%zu bytes)\n", reply_bytes.size());
    return 1;
  }
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: greeter-cpp-client hello TARGET NAME...\n"
               "       greeter-cpp-client health TARGET [SERVICE]\n"
               "       greeter-cpp-client call TARGET METHOD [HEX]\n");
  return 2;
}

// Decodes lowercase or uppercase hex digits; returns false on an odd length or a non-hex character.
bool FromHex(const char *hex, std::string *out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  size_t n = std::strlen(hex);
  if (n % 2) return false;
  for (size_t i = 0; i < n; i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

int Call(const std::shared_ptr<grpc::Channel> &ch, const char *method, const char *hex) {
  std::string request, reply_bytes;
  if (!FromHex(hex, &request)) return Usage();
  if (!Report(GenericUnary(ch, method, request, &reply_bytes))) return 1;
  std::printf("ok reply=");
  for (unsigned char c : reply_bytes) std::printf("%02x", c);
  std::printf("\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) return Usage();
  const char *mode = argv[1];
  std::shared_ptr<grpc::Channel> ch = grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials());
  if (std::strcmp(mode, "hello") == 0 && argc >= 4) return Hello(ch, argc - 3, argv + 3);
  if (std::strcmp(mode, "health") == 0 && argc <= 4) return Health(ch, argc == 4 ? argv[3] : "");
  if (std::strcmp(mode, "call") == 0 && (argc == 4 || argc == 5)) return Call(ch, argv[3], argc == 5 ? argv[4] : "");
  return Usage();
}
