// The event-stream side of IoLoop (see Listener's Response::stream): starting a stream,
// writing broadcasts and heartbeats to it, and noticing its client leave.

#include "server/io_loop.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <mutex>
#include <utility>
#include <vector>

namespace ecsync::server {

namespace {

constexpr size_t kDiscardChunk = size_t{4} * 1024;

}  // namespace

void IoLoop::Broadcast(std::string bytes) {
  {
    std::lock_guard<std::mutex> lock(done_mutex_);
    broadcasts_.push_back(std::move(bytes));
  }
  Wake();
}

void IoLoop::StartStream(Connection& conn, const Response& response) {
  if (streams_ >= options_.max_streams) {
    Refused("stream_limit");
    Respond(conn, Response::Text(503, "too many event streams; retry later\n"), true);
    return;
  }
  const auto now = SteadyClock::now();
  conn.phase = Phase::kStreaming;
  if (++streams_ == 1) next_heartbeat_ = now + options_.stream_heartbeat;
  conn.close_after = true;
  conn.out = SerializeStreamHead(response);
  conn.out_offset = 0;
  SetDeadline(conn, now + options_.write_timeout);
  Flush(conn);
}

void IoLoop::SendOnStream(Connection& conn, const std::string& bytes) {
  if (conn.out_offset > 0) {
    conn.out.erase(0, conn.out_offset);
    conn.out_offset = 0;
  }
  if (conn.out.size() + bytes.size() > options_.max_stream_buffer) {
    Refused("slow_stream");
    Close(conn);
    return;
  }
  // The write deadline runs from the moment bytes wait, not from each append.
  if (conn.out.empty()) SetDeadline(conn, SteadyClock::now() + options_.write_timeout);
  conn.out += bytes;
  Flush(conn);
}

void IoLoop::SendToStreams(const std::string& bytes) {
  std::vector<uint64_t> streams;
  for (auto& [id, conn] : connections_) {
    if (conn->phase == Phase::kStreaming) streams.push_back(id);
  }
  for (uint64_t id : streams) {
    auto found = connections_.find(id);  // looked up again: a close erases only its own
    if (found != connections_.end()) SendOnStream(*found->second, bytes);
  }
}

void IoLoop::OnStreamEvent(Connection& conn, uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) {
    Close(conn);
    return;
  }
  if (events & EPOLLIN) {
    // A stream's client has nothing more to say: whatever it sends is discarded, and the end
    // of its input is the end of the stream.
    char buffer[kDiscardChunk];
    for (;;) {
      ssize_t n = recv(conn.fd, buffer, sizeof(buffer), 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Close(conn);
      return;
    }
  }
  if (events & EPOLLOUT) Flush(conn);
}

}  // namespace ecsync::server
