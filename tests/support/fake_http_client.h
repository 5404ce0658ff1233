#pragma once

// The one test double of aws::HttpClient: answers from a script, then from a fallback, and
// records every request. Header-only so that only the tests that link ecsync_aws need it.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "aws/http.h"
#include "base/result.h"

namespace ecsync::testing {

// Answers each request with the next scripted reply, in order; once the script runs out,
// with `unscripted` (by default a kInternal "no scripted response"). Thread-safe: the
// script is consumed under a lock and replies run outside it, so a reply that forwards to
// a real server does not hold up other threads.
class FakeHttpClient final : public aws::HttpClient {
 public:
  // A reply: what to answer `request` with.
  using Reply = std::function<base::Result<aws::HttpResponse>(const aws::HttpRequest& request)>;

  explicit FakeHttpClient(Reply unscripted = nullptr) : unscripted_(std::move(unscripted)) {}

  // A reply that answers `status` with `body` (and `headers`).
  static Reply Answer(int status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    aws::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    return
        [response](const aws::HttpRequest&) { return base::Result<aws::HttpResponse>(response); };
  }
  // A reply that sends the request on through `real` (e.g. a CurlHttpClient to moto).
  static Reply ForwardTo(std::shared_ptr<aws::HttpClient> real) {
    return [real](const aws::HttpRequest& request) { return real->Send(request); };
  }

  // Appends replies to the script.
  void Push(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(reply));
  }
  void Push(int status, std::string body) { Push(Answer(status, std::move(body))); }
  // A transport failure (no response), e.g. base::TransientError("connection refused").
  void Push(base::Status failure) {
    Push([failure](const aws::HttpRequest&) { return base::Result<aws::HttpResponse>(failure); });
  }

  base::Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    Reply reply;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests.push_back(request);
      ++sent_;
      if (!script_.empty()) {
        reply = std::move(script_.front());
        script_.pop_front();
      }
    }
    if (!reply) reply = unscripted_;
    if (!reply) return base::InternalError("no scripted response");
    return reply(request);
  }

  // How many requests were sent.
  int sent() const { return sent_; }
  // Whether any request's body contains `text`.
  bool AnyBodyContains(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const aws::HttpRequest& request : requests) {
      if (request.body.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // The value of header `name` (exact spelling) of every request that had it, in order.
  std::vector<std::string> HeaderValues(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> values;
    for (const aws::HttpRequest& request : requests) {
      for (const auto& [key, value] : request.headers) {
        if (key == name) values.push_back(value);
      }
    }
    return values;
  }

  // Every request received, in order. Read it directly only while no Send() can run.
  std::vector<aws::HttpRequest> requests;

 private:
  const Reply unscripted_;
  std::mutex mu_;
  std::deque<Reply> script_;
  std::atomic<int> sent_{0};
};

}  // namespace ecsync::testing
