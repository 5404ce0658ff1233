#include "server/listener.h"

#include "server/io_loop.h"
#include "server/socket.h"

namespace ecsync::server {

Listener::Listener(Options options, Callbacks callbacks)
    : options_(std::move(options)), callbacks_(std::move(callbacks)) {}

Listener::~Listener() { Stop(); }

base::Status Listener::Start() {
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
  if (!loop_) return;
  loop_->RequestStop();
  if (thread_.joinable()) thread_.join();
  loop_->StopWorkers();
  loop_.reset();
}

}  // namespace ecsync::server
