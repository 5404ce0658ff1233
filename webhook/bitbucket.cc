// Bitbucket deliveries. One path (/hooks/bitbucket) serves both products, told apart by
// X-Event-Key: Bitbucket Server / Data Center sends "repo:refs_changed" with a flat list of
// changes, Bitbucket Cloud sends "repo:push" with push.changes[].{old,new}. Both sign with
// X-Hub-Signature: sha256=<hex>.

#include "webhook/parse.h"

namespace ecsync::webhook::internal {

namespace {

using nlohmann::json;

void AddCloneLinks(const json* repository, std::vector<std::string>& urls) {
  if (repository == nullptr) return;
  const json* clones = Find(*repository, {"links", "clone"});
  if (clones == nullptr || !clones->is_array()) return;
  for (const json& link : *clones) AddUrl(urls, String(link, {"href"}));
}

// Server: changes[] of {ref: {id}, refId, toHash, type: ADD|UPDATE|DELETE}.
base::Status ParseServerPush(const std::string& where, const json& body, WebhookEvent& event) {
  const json* changes = Find(body, {"changes"});
  if (changes == nullptr || !changes->is_array() || changes->empty()) {
    return base::InvalidError(where + ": 'changes' is missing or empty");
  }
  for (size_t i = 0; i < changes->size(); ++i) {
    const json& change = (*changes)[i];
    const std::string at = where + ": changes[" + std::to_string(i) + "]";
    std::string ref = String(change, {"ref", "id"});
    if (ref.empty()) ref = String(change, {"refId"});
    const std::string to_hash = String(change, {"toHash"});
    RefUpdate update;
    ECSYNC_ASSIGN_OR_RETURN(update.ref, RefName(ref, at + ".ref.id"));
    update.deleted = String(change, {"type"}) == "DELETE" || IsZeroId(to_hash);
    if (!update.deleted) {
      if (to_hash.empty()) return base::InvalidError(at + ".toHash is missing");
      ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(to_hash, at + ".toHash"));
    }
    event.refs.push_back(std::move(update));
  }
  return base::Status::Ok();
}

// Cloud: push.changes[] of {old, new}; each side is null (created / deleted) or
// {type: "branch" | "tag", name, target: {hash}}.
base::Status ParseCloudPush(const std::string& where, const json& body, WebhookEvent& event) {
  const json* changes = Find(body, {"push", "changes"});
  if (changes == nullptr || !changes->is_array() || changes->empty()) {
    return base::InvalidError(where + ": 'push.changes' is missing or empty");
  }
  for (size_t i = 0; i < changes->size(); ++i) {
    const json& change = (*changes)[i];
    const std::string at = where + ": push.changes[" + std::to_string(i) + "]";
    const json* next = Find(change, {"new"});
    const bool deleted = next == nullptr || !next->is_object();
    const json* side = deleted ? Find(change, {"old"}) : next;
    if (side == nullptr || !side->is_object()) {
      return base::InvalidError(at + " has neither 'new' nor 'old'");
    }
    const std::string type = String(*side, {"type"});
    const std::string name = String(*side, {"name"});
    if (name.empty()) return base::InvalidError(at + ".name is missing or empty");
    RefUpdate update;
    ECSYNC_ASSIGN_OR_RETURN(
        update.ref, RefName((type == "tag" ? "refs/tags/" : "refs/heads/") + name, at + ".name"));
    update.deleted = deleted;
    if (!deleted) {
      const std::string hash = String(*side, {"target", "hash"});
      if (hash.empty()) return base::InvalidError(at + ".new.target.hash is missing");
      ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(hash, at + ".new.target.hash"));
    }
    event.refs.push_back(std::move(update));
  }
  return base::Status::Ok();
}

}  // namespace

bool IsBitbucketPush(const std::string& event_key) {
  return event_key == "repo:refs_changed" || event_key == "repo:push";
}

void CollectBitbucketUrls(const json& body, WebhookEvent& event) {
  // Server: clone links (HTTPS with "/scm/", and SSH); pull requests under toRef.
  AddCloneLinks(Find(body, {"repository"}), event.clone_urls);
  AddCloneLinks(Find(body, {"pullRequest", "toRef", "repository"}), event.clone_urls);
  // Cloud: the web page, whose key equals the clone URLs' (https://bitbucket.org/ws/repo).
  AddUrl(event.clone_urls, String(body, {"repository", "links", "html", "href"}));
  const std::string full_name = String(body, {"repository", "full_name"});
  if (event.clone_urls.empty() && !full_name.empty() &&
      String(body, {"repository", "type"}) == "repository") {
    AddUrl(event.clone_urls, "https://bitbucket.org/" + full_name);
  }
  // Server payloads whose repository has no links still name its project and slug. (Cloud
  // repositories are {"type": "repository"} and always carry their web page.)
  const std::string key = String(body, {"repository", "project", "key"});
  const std::string slug = String(body, {"repository", "slug"});
  if (!key.empty() && !slug.empty() && String(body, {"repository", "type"}).empty()) {
    event.repository_path = key + "/" + slug;
  }
}

base::Status ParseBitbucketPush(const std::string& event_key, const json& body,
                                WebhookEvent& event) {
  const std::string where = "Bitbucket " + event.event;
  CollectBitbucketUrls(body, event);
  if (event.clone_urls.empty() && event.repository_path.empty()) {
    return base::InvalidError(
        where +
        ": no repository in the payload (expected repository.links.clone[].href, "
        "repository.project.key and slug, or repository.links.html.href)");
  }
  return event_key == "repo:push" ? ParseCloudPush(where, body, event)
                                  : ParseServerPush(where, body, event);
}

}  // namespace ecsync::webhook::internal
