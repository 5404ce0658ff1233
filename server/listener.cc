#include "server/listener.h"

#include "server/io_loop.h"
#include "server/socket.h"

namespace ecsync::server {

Listener::Listener(Options options, Callbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {}

Listener::~Listener() { Stop(); }

base::Status Listener::Start() {
  std::lock_guard<std::mutex> lock(loop_mu_);
  ECSYNC_ASSIGN_OR_RETURN(BoundSocket bound, Listen(options_.address));
  port_ = bound.port;
  loop_ = std::make_unique<IoLoop>(options_, callbacks_, bound.fd);
  if (base::Status status = loop_->Init(); !status.ok()) {
    loop_.reset();
    return status;
  }
  thread_ = std::thread([this] { loop_->Run(); });
  return base::Status::Ok();
}

void Listener::Stop() {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (!loop_) return;
  loop_->RequestStop();
  if (thread_.joinable()) thread_.join();
  loop_->StopWorkers();
  loop_.reset();
}

void Listener::Broadcast(std::string bytes) {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (loop_) loop_->Broadcast(std::move(bytes));
}

}  // namespace ecsync::server
