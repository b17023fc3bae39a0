// greeter-cpp-server: a Greeter that is not ours, on Debian's libgrpc++ (async API, one completion-queue
// thread), used as the peer in the wire-compatibility tests and the benchmark.
//
// Environment: NAME (default "cpp-peer"), LISTEN_ADDRESS (default 127.0.4.1:50051).
// Reply: "<NAME>: Hello <request name>", as our greeter-server answers, with no delay and no per-call log.
// SIGTERM/SIGINT: shuts down (in-flight calls get one second), exits 0.
#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "helloworld.grpc.pb.h"

namespace {

// As many pending request slots as our server keeps, so that neither side waits for one.
constexpr int kSlots = 128;

volatile std::sig_atomic_t stop_requested = 0;

void OnSignal(int) { stop_requested = 1; }

const char *EnvOr(const char *var, const char *dflt) {
  const char *v = std::getenv(var);
  return (v && *v) ? v : dflt;
}

// One SayHello call: requested, then answered, then freed. The call object is its own tag.
class HelloCall {
 public:
  HelloCall(helloworld::Greeter::AsyncService *service, grpc::ServerCompletionQueue *cq, const std::string *name)
      : service_(service), cq_(cq), name_(name), responder_(&ctx_) {
    service_->RequestSayHello(&ctx_, &request_, &responder_, cq_, cq_, this);
  }

  // Advances the call after its tag came back from the queue with `ok`.
  // Takes ownership of itself: deletes itself when the call is over.
  void Proceed(bool ok, bool accepting) {
    if (answered_ || !ok) {
      delete this;
      return;
    }
    if (accepting) new HelloCall(service_, cq_, name_);
    reply_.set_message(*name_ + ": Hello " + request_.name());
    answered_ = true;
    responder_.Finish(reply_, grpc::Status::OK, this);
  }

 private:
  helloworld::Greeter::AsyncService *service_;
  grpc::ServerCompletionQueue *cq_;
  const std::string *name_;
  grpc::ServerContext ctx_;
  helloworld::HelloRequest request_;
  helloworld::HelloReply reply_;
  grpc::ServerAsyncResponseWriter<helloworld::HelloReply> responder_;
  bool answered_ = false;
};

} // namespace

int main() {
  const std::string name = EnvOr("NAME", "cpp-peer");
  const std::string address = EnvOr("LISTEN_ADDRESS", "127.0.4.1:50051");
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);

  helloworld::Greeter::AsyncService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::ServerCompletionQueue> cq = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "greeter-cpp-server: cannot listen on %s\n", address.c_str());
    return 1;
  }
  for (int i = 0; i < kSlots; i++) new HelloCall(&service, cq.get(), &name);
  std::fprintf(stderr, "greeter-cpp-server: msg=listening name=%s address=%s\n", name.c_str(), address.c_str());

  // One thread serves the queue; it wakes every 200 ms to look at the stop flag.
  bool accepting = true;
  std::thread stopper;
  void *tag;
  bool ok;
  for (;;) {
    auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(200);
    grpc::CompletionQueue::NextStatus st = cq->AsyncNext(&tag, &ok, deadline);
    if (st == grpc::CompletionQueue::SHUTDOWN) break;
    if (st == grpc::CompletionQueue::GOT_EVENT) static_cast<HelloCall *>(tag)->Proceed(ok, accepting);
    if (stop_requested && accepting) {
      accepting = false;
      // Shutdown blocks until calls finish, and calls need this thread: run it on another one while
      // this thread keeps serving the queue, then shut the queue down.
      stopper = std::thread([&server, &cq] {
        server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
        cq->Shutdown();
      });
    }
  }
  if (stopper.joinable()) stopper.join();
  std::fprintf(stderr, "greeter-cpp-server: msg=stopped\n");
  return 0;
}
