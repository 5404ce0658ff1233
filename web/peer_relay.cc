#include "web/peer_relay.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/utf8.h"

namespace ecsync::web {

namespace {

// What the operator API reads from a request, and nothing else.
constexpr const char* kForwardedHeaders[] = {"Authorization", "Content-Type", "X-Ecsync-Approver",
                                             "If-None-Match", "Accept"};

}  // namespace

PeerRelay::PeerRelay(aws::HttpClient& http, PeerViewSource view)
    : http_(http), view_(std::move(view)) {}

std::optional<server::Response> PeerRelay::Relay(const server::Request& request,
                                                 const std::string& repo_url) {
  if (request.Header(kRelayedByHeader) != nullptr) return std::nullopt;
  const PeerView view = view_();
  const std::string owner = view.owner ? view.owner(repo_url) : "";
  std::string url = view.UrlOf(owner);
  if (owner.empty() || owner == view.self || url.empty()) return std::nullopt;
  if (url.ends_with('/')) url.pop_back();

  aws::HttpRequest forwarded;
  forwarded.method = request.method;
  forwarded.url = url + request.target;
  forwarded.body = request.body;
  for (const char* name : kForwardedHeaders) {
    if (const std::string* value = request.Header(name))
      forwarded.headers.emplace_back(name, *value);
  }
  forwarded.headers.emplace_back(kRelayedByHeader, view.self);
  base::Result<aws::HttpResponse> answer = http_.Send(forwarded);
  if (!answer.ok()) {
    base::Log(base::LogLevel::kWarn,
              "the replica holding a project did not answer a relayed request",
              {{"replica", owner}, {"error", base::Utf8Prefix(answer.status().message(), 300)}});
    server::Response failed = server::Response::Text(
        502, nlohmann::json({{"error", "the replica holding this project (" + owner +
                                           ") did not answer; retry, or ask it directly"},
                             {"replica", owner}})
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    failed.content_type = "application/json";
    return failed;
  }
  server::Response relayed;
  relayed.status = answer->status;
  relayed.content_type = answer->Header("Content-Type");
  relayed.body = std::move(answer->body);
  for (const char* name : {"ETag", "Cache-Control", "WWW-Authenticate", "Allow"}) {
    if (std::string value = answer->Header(name); !value.empty()) {
      relayed.headers.emplace_back(name, std::move(value));
    }
  }
  relayed.headers.emplace_back("X-Ecsync-Replica", owner);
  return relayed;
}

}  // namespace ecsync::web
