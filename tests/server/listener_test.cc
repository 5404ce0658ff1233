// The epoll listener over real sockets: deadlines, connection limits, header and body
// limits, keep-alive, and that a handler never leaks internal text.

#include "server/listener.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/server/raw_client.h"

namespace ecsync::server {
namespace {

using std::chrono::milliseconds;
using testing::RawClient;
using testing::StatusOf;

class ListenerTest : public ::testing::Test {
 protected:
  void Start(Listener::Options options) {
    options.address = "127.0.0.1:0";
    Listener::Callbacks callbacks;
    callbacks.handle = [this](const Request& request) {
      if (request.path == "/throw") throw std::runtime_error("secret internal detail");
      if (request.path == "/slow") {
        std::unique_lock<std::mutex> lock(mutex_);
        released_.wait(lock, [this] { return release_; });
      }
      return Response::Text(200, request.method + " " + request.path + " " +
                                     std::to_string(request.body.size()) + " " +
                                     request.peer_address);
    };
    callbacks.too_large = [](const Request& request) {
      Response response = Response::Text(413, "too large for " + request.path);
      response.close = true;
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
    {
      std::lock_guard<std::mutex> lock(mutex_);
      release_ = true;
    }
    released_.notify_all();
    if (listener_) listener_->Stop();
  }

  int Refused(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    return refused_[reason];
  }

  // One GET on a new connection from `source`; the response or "" after `timeout`.
  std::string Get(const std::string& path, const std::string& source = "127.0.0.1",
                  milliseconds timeout = milliseconds(2000)) {
    auto client = RawClient::Connect(listener_->port(), source);
    if (!client || !client->Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")) return "";
    return client->ReadResponse(timeout);
  }

  std::unique_ptr<Listener> listener_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  std::map<std::string, int> refused_;
};

TEST_F(ListenerTest, AnswersAndKeepsTheConnectionAlive) {
  Start({});
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(client);
  ASSERT_TRUE(
      client->Send("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"));
  std::string first = client->ReadResponse(milliseconds(2000));
  EXPECT_EQ(StatusOf(first), 200) << first;
  EXPECT_NE(first.find("GET /a 0 127.0.0.1"), std::string::npos) << first;
  EXPECT_NE(first.find("Connection: keep-alive"), std::string::npos);
  std::string second = client->ReadResponse(milliseconds(2000));
  EXPECT_NE(second.find("POST /b 3"), std::string::npos) << second;
  ASSERT_TRUE(client->Send("GET /c HTTP/1.1\r\nConnection: close\r\n\r\n"));
  std::string third = client->ReadResponse(milliseconds(2000));
  EXPECT_NE(third.find("Connection: close"), std::string::npos) << third;
  EXPECT_TRUE(client->ClosedWithin(milliseconds(2000)));
}

TEST_F(ListenerTest, ExpectContinueGetsA100First) {
  Start({});
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(
      client->Send("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_EQ(StatusOf(client->ReadResponse(milliseconds(2000))), 100);
  ASSERT_TRUE(client->Send("ok"));
  EXPECT_EQ(StatusOf(client->ReadResponse(milliseconds(2000))), 200);
}

TEST_F(ListenerTest, SlowAndIdleClientsDoNotStopOthers) {
  Listener::Options options;
  options.request_timeout = milliseconds(20'000);  // longer than the test: no help from it
  Start(options);
  // 16 clients that each send one header line every 100 ms, forever.
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(RawClient::Connect(listener_->port(), "127.0.0.2"));
    ASSERT_TRUE(slow.back());
    ASSERT_TRUE(slow.back()->Send("POST /hooks/github HTTP/1.1\r\n"));
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    while (!done.load()) {
      for (auto& client : slow) client->Send("X-Slow: 1\r\n");
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  // 500 connections that send nothing, spread over a few addresses (64 per client at most).
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 500; ++i) {
    idle.push_back(RawClient::Connect(listener_->port(), "127.0.1." + std::to_string(1 + i / 50)));
    ASSERT_TRUE(idle.back());
  }
  // Every request of a well-behaved client is answered promptly meanwhile.
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    std::string response = Get("/healthz", "127.0.0.1", milliseconds(1000));
    EXPECT_EQ(StatusOf(response), 200) << i << ": " << response;
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  }
  done.store(true);
  trickle.join();
}

TEST_F(ListenerTest, AWholeRequestMustArriveWithinTheDeadline) {
  Listener::Options options;
  options.request_timeout = milliseconds(500);
  Start(options);
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\n"));
  const auto start = std::chrono::steady_clock::now();
  // Each line arrives well within any per-read timeout; the request as a whole does not.
  while (!client->closed() && std::chrono::steady_clock::now() - start < milliseconds(5000)) {
    if (!client->Send("X-Trickle: 1\r\n")) break;
    client->ClosedWithin(milliseconds(100));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_EQ(StatusOf(client->ReadResponse(milliseconds(1000))), 408);
  EXPECT_EQ(Refused("request_timeout"), 1);
  // A connection that sends nothing is closed too, without an answer.
  auto silent = RawClient::Connect(listener_->port());
  EXPECT_TRUE(silent->ClosedWithin(milliseconds(3000)));
}

TEST_F(ListenerTest, KeptAliveConnectionsCloseWhenIdle) {
  Listener::Options options;
  options.idle_timeout = milliseconds(300);
  Start(options);
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(StatusOf(client->ReadResponse(milliseconds(2000))), 200);
  EXPECT_TRUE(client->ClosedWithin(milliseconds(3000)));
}

TEST_F(ListenerTest, TooManyOrTooLargeHeadersGet431AndMemoryStaysBounded) {
  Start({});
  auto many = RawClient::Connect(listener_->port());
  std::string request = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100'000; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
  many->Send(request);  // the server may close before it has all of it
  EXPECT_EQ(StatusOf(many->ReadResponse(milliseconds(3000))), 431);

  // Four clients at once, each trying to send 64 MB of headers in lines just under 8 KB
  // (what cpp-httplib accepted per line).
  const long before = testing::ResidentKiB();
  std::vector<std::thread> senders;
  senders.reserve(4);
  std::atomic<int> answered{0};
  for (int i = 0; i < 4; ++i) {
    senders.emplace_back([&, i] {
      auto client = RawClient::Connect(listener_->port(), "127.0.0." + std::to_string(20 + i));
      client->Send("GET / HTTP/1.1\r\n");
      const std::string line = "X-Big: " + std::string(8000, 'a') + "\r\n";
      for (int sent = 0; sent < 8 * 1024 && client->Send(line); ++sent) {
      }
      if (StatusOf(client->ReadResponse(milliseconds(3000))) == 431) ++answered;
    });
  }
  for (std::thread& sender : senders) sender.join();
  EXPECT_EQ(answered.load(), 4);
  EXPECT_LT(testing::ResidentKiB() - before, 32 * 1024) << "RSS grew from " << before << " KiB";
  EXPECT_EQ(Refused("headers_too_large"), 5);
}

TEST_F(ListenerTest, ABodyOverTheLimitIsRefusedBeforeItIsRead) {
  Listener::Options options;
  options.limits.max_body_bytes = 1024;
  Start(options);
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(client->Send("POST /hooks/github HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n"));
  std::string response = client->ReadResponse(milliseconds(2000));  // no body byte was sent
  EXPECT_EQ(StatusOf(response), 413) << response;
  EXPECT_EQ(testing::BodyOf(response), "too large for /hooks/github");
  EXPECT_TRUE(client->ClosedWithin(milliseconds(3000)));
  EXPECT_EQ(Refused("body_too_large"), 1);
}

TEST_F(ListenerTest, ConnectionsPerClientAreLimited) {
  Listener::Options options;
  options.max_connections_per_client = 4;
  Start(options);
  std::vector<std::unique_ptr<RawClient>> held;
  held.reserve(4);
  for (int i = 0; i < 4; ++i) held.push_back(RawClient::Connect(listener_->port(), "127.0.0.5"));
  EXPECT_EQ(StatusOf(Get("/", "127.0.0.5")), 503);
  EXPECT_EQ(Refused("client_connection_limit"), 1);
  EXPECT_EQ(StatusOf(Get("/", "127.0.0.6")), 200);
}

TEST_F(ListenerTest, WhenFullTheLongestIdleConnectionMakesRoom) {
  Listener::Options options;
  options.max_connections = 8;
  Start(options);
  std::vector<std::unique_ptr<RawClient>> idle;
  idle.reserve(8);
  for (int i = 0; i < 8; ++i) idle.push_back(RawClient::Connect(listener_->port(), "127.0.0.7"));
  EXPECT_EQ(StatusOf(Get("/", "127.0.0.8")), 200);
  EXPECT_TRUE(idle.front()->ClosedWithin(milliseconds(2000)));
  EXPECT_GE(Refused("idle_evicted"), 1);
}

TEST_F(ListenerTest, ASlowHandlerDoesNotStallOtherConnections) {
  Listener::Options options;
  options.workers = 2;
  Start(options);
  auto slow = RawClient::Connect(listener_->port());
  ASSERT_TRUE(slow->Send("GET /slow HTTP/1.1\r\n\r\n"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(StatusOf(Get("/fast")), 200);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    release_ = true;
  }
  released_.notify_all();
  EXPECT_EQ(StatusOf(slow->ReadResponse(milliseconds(2000))), 200);
}

TEST_F(ListenerTest, AThrowingHandlerAnswers500WithoutDetails) {
  Start({});
  std::string response = Get("/throw");
  EXPECT_EQ(StatusOf(response), 500);
  EXPECT_EQ(response.find("secret"), std::string::npos) << response;
}

TEST_F(ListenerTest, MalformedRequestsGet400AndAreClosed) {
  Start({});
  auto client = RawClient::Connect(listener_->port());
  ASSERT_TRUE(client->Send("HELLO\r\n"));
  std::string response = client->ReadResponse(milliseconds(2000));
  EXPECT_EQ(StatusOf(response), 400);
  EXPECT_TRUE(client->ClosedWithin(milliseconds(3000)));
}

}  // namespace
}  // namespace ecsync::server
