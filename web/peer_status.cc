#include "web/peer_status.h"

#include <future>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "web/peer_auth.h"

namespace ecsync::web {
namespace {

using OrderedJson = nlohmann::ordered_json;

std::string StringAt(const OrderedJson& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// A document's repositories by name and projects by repository.
struct Index {
  std::map<std::string, const OrderedJson*> repositories;
  std::map<std::string, std::vector<const OrderedJson*>> projects;

  explicit Index(const OrderedJson& doc) {
    if (auto it = doc.find("repositories"); it != doc.end() && it->is_array()) {
      for (const OrderedJson& repository : *it)
        repositories[StringAt(repository, "name")] = &repository;
    }
    if (auto it = doc.find("projects"); it != doc.end() && it->is_array()) {
      for (const OrderedJson& project : *it)
        projects[StringAt(project, "repository")].push_back(&project);
    }
  }
};

}  // namespace

PeerStatus::PeerStatus(aws::HttpClient& http, PeerViewSource view, base::Clock& clock)
    : http_(http), view_(std::move(view)), clock_(clock) {}

PeerStatus::Fetched PeerStatus::Fetch(const std::string& url, const std::string& secret) const {
  Fetched fetched;
  std::string base = url;
  if (base.ends_with('/')) base.pop_back();
  aws::HttpRequest request;
  request.url = base + kPeerStatusPath;
  request.headers = PeerHeaders(secret, "GET", kPeerStatusPath, "", clock_.Now());
  base::Result<aws::HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    fetched.error = base::Utf8Prefix(response.status().message(), 300);
    return fetched;
  }
  if (response->status != 200) {
    fetched.error = "HTTP " + std::to_string(response->status);
    return fetched;
  }
  OrderedJson doc = OrderedJson::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    fetched.error = "the answer is not a status document";
    return fetched;
  }
  fetched.doc = std::move(doc);
  return fetched;
}

OrderedJson PeerStatus::Merge(OrderedJson local) {
  const PeerView view = view_();
  // Fresh documents of every other live replica with an address; stale ones asked again,
  // all at once.
  std::map<std::string, Fetched> fetched;
  std::map<std::string, std::future<Fetched>> asked;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(cache_, [&](const auto& entry) { return !view.urls.contains(entry.first); });
    const auto now = clock_.SteadyNow();
    for (const auto& [replica, url] : view.urls) {
      if (replica == view.self) continue;
      if (url.empty() || view.secret.empty()) {
        fetched[replica].error = url.empty() ? "advertises no address" : "no peer secret yet";
        continue;
      }
      if (auto hit = cache_.find(replica); hit != cache_.end() && now - hit->second.at < kFresh) {
        fetched[replica] = hit->second;
        continue;
      }
      asked[replica] = std::async(std::launch::async, [this, url = url, secret = view.secret] {
        Fetched answer = Fetch(url, secret);
        answer.at = clock_.SteadyNow();  // fresh from its answer on
        return answer;
      });
    }
  }
  for (auto& [replica, future] : asked) fetched[replica] = future.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [replica, result] : fetched) {
      if (asked.contains(replica)) cache_[replica] = result;
    }
  }

  std::map<std::string, const OrderedJson*> docs{{view.self, &local}};
  OrderedJson peers = OrderedJson::array();
  for (const auto& [replica, result] : fetched) {
    if (result.doc) docs[replica] = &*result.doc;
    peers.push_back(
        {{"id", replica}, {"reachable", result.doc.has_value()}, {"error", result.error}});
  }
  std::map<std::string, Index> indexes;
  for (const auto& [replica, doc] : docs) indexes.emplace(replica, Index(*doc));

  OrderedJson merged = OrderedJson::object();
  merged["repositories"] = OrderedJson::array();
  merged["projects"] = OrderedJson::array();
  const Index& own = indexes.at(view.self);
  for (const auto& [name, repository] : own.repositories) {
    const std::string owner = view.owner ? view.owner(StringAt(*repository, "url")) : "";
    const Index& source = indexes.contains(owner) ? indexes.at(owner) : own;
    auto found = source.repositories.find(name);
    OrderedJson entry = found != source.repositories.end() ? *found->second : *repository;
    entry["replica"] = owner;
    merged["repositories"].push_back(std::move(entry));
    if (auto projects = source.projects.find(name); projects != source.projects.end()) {
      for (const OrderedJson* project : projects->second) {
        OrderedJson row = *project;
        row["replica"] = owner;
        merged["projects"].push_back(std::move(row));
      }
    }
  }
  // Projects of repositories no longer configured (a delete waiting to be pruned): this
  // replica's own knowledge.
  for (const auto& [name, projects] : own.projects) {
    if (own.repositories.contains(name)) continue;
    for (const OrderedJson* project : projects) {
      OrderedJson row = *project;
      row["replica"] = view.self;
      merged["projects"].push_back(std::move(row));
    }
  }
  merged["version"] = local["version"];
  merged["peers"] = std::move(peers);
  return merged;
}

}  // namespace ecsync::web
