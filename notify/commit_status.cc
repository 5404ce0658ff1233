#include "notify/commit_status.h"

#include <string_view>

#include "aws/encoding.h"
#include "aws/timestamp.h"

namespace ecsync::notify {

namespace {

// Commits (with their contexts) remembered per sink; older ones may be posted once more.
constexpr size_t kRememberedKeys = 4096;

std::string Key(const std::string& a, const std::string& b) { return a + '\0' + b; }

// Replaces each {name} of `text` from `values`.
std::string Substitute(const std::string& text,
                       const std::vector<std::pair<std::string_view, std::string_view>>& values) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    if (text[i] == '{') {
      for (const auto& [name, value] : values) {
        if (std::string_view(text).substr(i + 1).starts_with(name) &&
            text.size() > i + 1 + name.size() && text[i + 1 + name.size()] == '}') {
          out += value;
          i += name.size() + 1;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i];
  }
  return out;
}

DeployState StateOf(EventKind kind) {
  switch (kind) {
    case EventKind::kDeploySucceeded:
      return DeployState::kSuccess;
    case EventKind::kDeployFailed:
    case EventKind::kSignatureRefused:
      return DeployState::kFailure;
    case EventKind::kDeployError:
      return DeployState::kError;
    default:
      return DeployState::kPending;
  }
}

// What a status says when the event carries no description.
std::string DefaultDescription(const Event& event) {
  switch (event.kind) {
    case EventKind::kDeploySucceeded:
      return "Deployed to stack " + event.stack;
    case EventKind::kDeployFailed:
      return "Deploy to stack " + event.stack + " failed";
    case EventKind::kDeployError:
      return "Deploy to stack " + event.stack + " hit an error; retrying";
    case EventKind::kSignatureRefused:
      return "Not deployed: the signature check refused this commit";
    case EventKind::kHeld:
      return "Waiting for a deploy window of stack " + event.stack;
    default:
      return "Deploying to stack " + event.stack;
  }
}

}  // namespace

const std::string* CommitStatusSink::Recent::Find(const std::string& key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void CommitStatusSink::Recent::Put(const std::string& key, std::string value) {
  const auto [it, added] = values_.insert_or_assign(key, std::move(value));
  if (!added) return;
  order_.push_back(key);
  if (order_.size() > kRememberedKeys) {
    values_.erase(order_.front());
    order_.pop_front();
  }
}

CommitStatusSink::CommitStatusSink(CommitStatusSettings settings, aws::HttpClient& http,
                                   base::Clock& clock)
    : settings_(std::move(settings)), http_(http), clock_(clock) {}

std::string CommitStatusSink::name() const {
  return std::string("commit_status:") + HostName(settings_.target.api) + ":" +
         settings_.repository;
}

bool CommitStatusSink::Wants(const Event& event) const {
  switch (event.kind) {
    case EventKind::kDeployStarted:
    case EventKind::kDeploySucceeded:
    case EventKind::kDeployFailed:
    case EventKind::kDeployError:
    case EventKind::kSignatureRefused:
    case EventKind::kHeld:
      return event.repository == settings_.repository && !event.revision.empty() &&
             !event.stack.empty();
    default:
      return false;
  }
}

std::string CommitStatusSink::ContextFor(const Event& event) const {
  const std::string* chosen = &settings_.context;
  if (const auto exact = settings_.project_contexts.find(event.project);
      exact != settings_.project_contexts.end()) {
    chosen = &exact->second;
  } else {
    size_t longest = 0;
    for (const auto& [prefix, context] : settings_.prefix_contexts) {
      if (event.project.starts_with(prefix) && prefix.size() >= longest) {
        longest = prefix.size();
        chosen = &context;
      }
    }
  }
  return OneLineOfCodePoints(Substitute(*chosen, {{"stack", event.stack},
                                                  {"project", event.project},
                                                  {"repository", event.repository}}),
                             255);
}

std::string CommitStatusSink::TargetUrlFor(const Event& event) const {
  if (settings_.external_url.empty()) return "";
  return settings_.external_url + "/projects/" + aws::UriEncode(event.project_key);
}

base::Result<aws::HttpResponse> CommitStatusSink::Send(const aws::HttpRequest& request) {
  const std::chrono::system_clock::time_point now = clock_.Now();
  if (now < paused_until_) {
    return base::ThrottledError(name() + ": the host asked for a pause until " +
                                aws::FormatIso8601(paused_until_) + "; not calling it before");
  }
  const base::Result<aws::HttpResponse> answer = http_.Send(request);
  const ApiOutcome outcome = Classify(settings_.target, request, answer, now);
  if (outcome.retry_at.has_value()) paused_until_ = *outcome.retry_at;
  if (!outcome.status.ok()) return outcome.status;
  return *answer;
}

base::Status CommitStatusSink::PostStatus(const StatusPost& post) {
  const std::string key = Key(post.sha, post.context);
  // GitLab refuses to move a status to the state it has, so there only the state counts.
  const std::string value =
      settings_.target.api == config::GitHostApi::kGitLab
          ? StateWord(settings_.target.api, post.state)
          : Key(StateWord(settings_.target.api, post.state), post.description);
  if (const std::string* last = posted_.Find(key); last != nullptr && *last == value) {
    return base::Status::Ok();
  }
  ECSYNC_RETURN_IF_ERROR(Send(StatusRequest(settings_.target, post)).status());
  posted_.Put(key, value);
  return base::Status::Ok();
}

base::Status CommitStatusSink::PostDeployment(const Event& event, DeployState state,
                                              const std::string& description,
                                              const std::string& url) {
  const std::string key = Key(event.revision, event.stack);
  int64_t id = 0;
  if (const std::string* known = deployment_ids_.Find(key); known != nullptr) {
    id = std::stoll(*known);
  } else {
    ECSYNC_ASSIGN_OR_RETURN(
        const aws::HttpResponse created,
        Send(CreateDeploymentRequest(settings_.target, event.revision, event.stack, description)));
    ECSYNC_ASSIGN_OR_RETURN(id, DeploymentId(settings_.target, created));
    deployment_ids_.Put(key, std::to_string(id));
  }
  const std::string value = Key(std::to_string(static_cast<int>(state)), description);
  if (const std::string* last = deployment_posted_.Find(key); last != nullptr && *last == value) {
    return base::Status::Ok();
  }
  ECSYNC_RETURN_IF_ERROR(
      Send(DeploymentStatusRequest(settings_.target, id, state, description, url)).status());
  deployment_posted_.Put(key, value);
  return base::Status::Ok();
}

base::Status CommitStatusSink::Deliver(const Event& event) {
  if (!Wants(event)) return base::Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  StatusPost post;
  post.sha = event.revision;
  post.state = StateOf(event.kind);
  post.context = ContextFor(event);
  post.description =
      OneLineOfCodePoints(event.description.empty() ? DefaultDescription(event) : event.description,
                          DescriptionLimit(settings_.target.api));
  post.target_url = TargetUrlFor(event);
  ECSYNC_RETURN_IF_ERROR(PostStatus(post));
  if (!settings_.deployments) return base::Status::Ok();
  return PostDeployment(event, post.state, post.description, post.target_url);
}

std::vector<std::unique_ptr<Sink>> MakeCommitStatusSinks(const config::Config& config,
                                                         aws::HttpClient& http,
                                                         const std::string& version,
                                                         base::Clock& clock) {
  std::vector<std::unique_ptr<Sink>> sinks;
  for (const config::RepositoryConfig& repo : config.repositories) {
    if (!repo.notify.commit_status.has_value()) continue;
    const config::CommitStatusConfig& status = *repo.notify.commit_status;
    CommitStatusSettings settings;
    settings.repository = repo.name;
    settings.target = HostTarget{status.api,   status.api_url,  status.repository,
                                 status.token, status.username, "ecsync/" + version};
    if (!status.context.empty()) settings.context = status.context;
    for (const config::ProjectConfig& project : repo.projects) {
      const std::string& context = project.notify.commit_status_context;
      if (context.empty()) continue;
      if (project.glob.empty()) {
        settings.project_contexts[project.name] = context;
      } else {
        settings.prefix_contexts[project.name + "-"] = context;
      }
    }
    settings.deployments = status.deployments && status.api == config::GitHostApi::kGitHub;
    settings.external_url = config.external_url;
    sinks.push_back(std::make_unique<CommitStatusSink>(std::move(settings), http, clock));
  }
  return sinks;
}

}  // namespace ecsync::notify
