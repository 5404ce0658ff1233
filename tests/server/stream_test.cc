// Event streams on the epoll listener (Response::stream): broadcasts and heartbeats reach
// every stream, a stream holds no worker and outlives the request and idle deadlines, the
// number of streams is capped, and a client that stops reading is dropped.

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "server/listener.h"
#include "tests/server/raw_client.h"
#include "tests/support/support.h"

namespace ecsync::server {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::StatusOf;

class StreamTest : public ::testing::Test {
 protected:
  void Start(Listener::Options options) {
    options.address = "127.0.0.1:0";
    Listener::Callbacks callbacks;
    callbacks.handle = [](const Request& request) {
      Response response = Response::Text(200, request.path == "/events" ? "retry: 1\n\n" : "ok");
      if (request.path == "/events") {
        response.content_type = "text/event-stream";
        response.stream = true;
      }
      return response;
    };
    callbacks.refused = [this](const char* reason) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++refused_[reason];
    };
    listener_ = std::make_unique<Listener>(options, callbacks);
    ASSERT_TRUE(listener_->Start().ok());
  }

  void TearDown() override {
    if (listener_) listener_->Stop();
  }

  int Refused(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    return refused_[reason];
  }

  // A client whose stream is open (its head and first bytes read); nullptr otherwise.
  std::unique_ptr<RawClient> OpenStream() {
    auto client = RawClient::Connect(listener_->port());
    if (!client || !client->Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n")) return nullptr;
    if (!client->ReadUntil("retry: 1\n\n", milliseconds(2000))) return nullptr;
    return client;
  }

  std::unique_ptr<Listener> listener_;
  std::mutex mutex_;
  std::map<std::string, int> refused_;
};

TEST_F(StreamTest, BroadcastsAndHeartbeatsReachEveryStreamPastTheDeadlines) {
  Listener::Options options;
  options.request_timeout = milliseconds(150);
  options.idle_timeout = milliseconds(150);
  options.stream_heartbeat = milliseconds(100);
  Start(options);
  auto first = RawClient::Connect(listener_->port());
  ASSERT_TRUE(first->Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string head = first->ReadResponse(milliseconds(2000));
  EXPECT_EQ(StatusOf(head), 200);
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  auto second = OpenStream();
  ASSERT_TRUE(second);

  listener_->Broadcast("data: {\"n\":1}\n\n");
  EXPECT_TRUE(first->ReadUntil("data: {\"n\":1}\n\n", milliseconds(2000)));
  EXPECT_TRUE(second->ReadUntil("data: {\"n\":1}\n\n", milliseconds(2000)));
  // Several heartbeats: longer than the request and idle deadlines, and still open.
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(first->ReadUntil(": keep-alive\n\n", milliseconds(2000))) << i;
  }
  listener_->Broadcast("data: 2\n\n");
  EXPECT_TRUE(first->ReadUntil("data: 2\n\n", milliseconds(2000)));
  EXPECT_FALSE(first->closed());
  EXPECT_EQ(Refused("request_timeout"), 0);
}

TEST_F(StreamTest, StreamsOverTheCapGet503AndHoldNoWorker) {
  Listener::Options options;
  options.workers = 1;
  options.max_streams = 2;
  Start(options);
  auto a = OpenStream();
  auto b = OpenStream();
  ASSERT_TRUE(a && b);
  auto c = RawClient::Connect(listener_->port());
  ASSERT_TRUE(c->Send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(c->ReadResponse(milliseconds(2000))), 503);
  EXPECT_EQ(Refused("stream_limit"), 1);
  // The only worker is free: ordinary requests are answered while two streams are open.
  auto plain = RawClient::Connect(listener_->port());
  ASSERT_TRUE(plain->Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(plain->ReadResponse(milliseconds(2000))), 200);

  // A stream whose client left frees its place.
  a.reset();
  EXPECT_TRUE(testing::WaitUntil([&] { return OpenStream() != nullptr; }));
}

TEST_F(StreamTest, AClientThatStopsReadingIsClosed) {
  Listener::Options options;
  options.max_stream_buffer = size_t{64} * 1024;
  Start(options);
  auto stalled = OpenStream();
  ASSERT_TRUE(stalled);
  const std::string chunk = "data: " + std::string(size_t{16} * 1024, 'x') + "\n\n";
  // Far more than the socket buffers and the stream's own buffer hold.
  ASSERT_TRUE(testing::WaitUntil([&] {
    for (int i = 0; i < 64; ++i) listener_->Broadcast(chunk);
    return Refused("slow_stream") > 0;
  }));
  EXPECT_TRUE(stalled->ClosedWithin(milliseconds(5000)));
}

}  // namespace
}  // namespace ecsync::server
