#include "web/peer_forwarder.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "base/log.h"
#include "base/strings.h"
#include "web/peer_auth.h"

namespace ecsync::web {

namespace {
constexpr char kTriggerPath[] = "/internal/v1/trigger";
}  // namespace

PeerForwarder::PeerForwarder(aws::HttpClient& http, PeerViewSource view, base::Clock& clock,
                             Options options)
    : http_(http), view_(std::move(view)), clock_(clock), options_(options) {}

PeerForwarder::~PeerForwarder() { Stop(); }

bool PeerForwarder::Forward(const std::string& repository, const std::string& url) {
  const PeerView view = view_();
  const std::string owner = view.owner ? view.owner(url) : "";
  if (owner.empty() || owner == view.self || view.UrlOf(owner).empty() || view.secret.empty()) {
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || pending_count_ >= options_.max_pending) return false;
    if (pending_[owner].insert(repository).second) ++pending_count_;
  }
  wake_.notify_one();
  return true;
}

void PeerForwarder::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void PeerForwarder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeerForwarder::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    std::map<std::string, std::set<std::string>> batch = std::exchange(pending_, {});
    pending_count_ = 0;
    lock.unlock();
    for (const auto& [replica, repositories] : batch) Send(replica, repositories);
    lock.lock();
  }
}

bool PeerForwarder::Send(const std::string& replica, const std::set<std::string>& repositories) {
  const std::string body = nlohmann::json{{"repositories", nlohmann::json(repositories)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string failure;
  for (int attempt = 0; attempt < options_.attempts; ++attempt) {
    if (attempt > 0) clock_.SleepFor(options_.retry_delay);
    // Asked again at every attempt: the owner may have changed or moved meanwhile.
    const PeerView view = view_();
    std::string url = view.UrlOf(replica);
    if (url.empty() || view.secret.empty()) {
      failure = "the replica left or advertises no address";
      break;
    }
    if (url.ends_with('/')) url.pop_back();
    aws::HttpRequest request;
    request.method = "POST";
    request.url = url + kTriggerPath;
    request.headers = PeerHeaders(view.secret, "POST", kTriggerPath, body, clock_.Now());
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
    base::Result<aws::HttpResponse> response = http_.Send(request);
    if (response.ok() && response->status == 202) {
      base::Log(base::LogLevel::kInfo, "webhook check forwarded to the owning replica",
                {{"replica", replica}, {"repositories", base::Join(repositories, ",")}});
      return true;
    }
    failure =
        response.ok() ? "HTTP " + std::to_string(response->status) : response.status().message();
  }
  // The owner polls the repository anyway; the push reaches it then.
  base::Log(
      base::LogLevel::kWarn, "could not forward a webhook check to the owning replica",
      {{"replica", replica}, {"repositories", base::Join(repositories, ",")}, {"error", failure}});
  return false;
}

}  // namespace ecsync::web
