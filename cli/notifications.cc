#include "cli/notifications.h"

#include "cli/version.h"
#include "notify/commit_status.h"
#include "notify/filter.h"
#include "notify/slack.h"
#include "notify/teams.h"
#include "notify/webhook.h"

namespace ecsync::cli {

namespace {

notify::HttpSinkOptions OptionsOf(const config::NotificationConfig& entry,
                                  const std::string& external_url) {
  notify::HttpSinkOptions options;
  options.name = entry.name;
  options.url = entry.url;
  options.external_url = external_url;
  options.user_agent = std::string("ecsync/") + kVersion;
  options.filter.kinds.clear();
  for (const std::string& name : entry.events) {
    // The configuration accepts only known names (config::NotificationEventNames).
    if (auto kind = notify::EventKindFromName(name)) options.filter.kinds.insert(*kind);
  }
  options.filter.repositories = entry.repositories;
  options.filter.projects = entry.projects;
  return options;
}

}  // namespace

std::vector<std::unique_ptr<notify::Sink>> MakeNotificationSinks(const config::Config& config,
                                                                 const std::string& external_url,
                                                                 aws::HttpClient& http,
                                                                 base::Clock& clock) {
  std::vector<std::unique_ptr<notify::Sink>> sinks;
  for (const config::NotificationConfig& entry : config.notifications.sinks) {
    notify::HttpSinkOptions options = OptionsOf(entry, external_url);
    switch (entry.type) {
      case config::NotificationType::kSlack:
        sinks.push_back(std::make_unique<notify::SlackSink>(std::move(options), http));
        break;
      case config::NotificationType::kTeams:
        sinks.push_back(std::make_unique<notify::TeamsSink>(std::move(options), http));
        break;
      case config::NotificationType::kWebhook:
        sinks.push_back(
            std::make_unique<notify::WebhookSink>(std::move(options), entry.secret, clock, http));
        break;
    }
  }
  return sinks;
}

std::unique_ptr<notify::Dispatcher> MakeDispatcher(const config::Config& config,
                                                   aws::HttpClient& http, base::Clock& clock,
                                                   metrics::Metrics* metrics) {
  notify::DispatcherOptions options;
  options.queue_capacity = static_cast<size_t>(config.notifications.queue);
  auto dispatcher = std::make_unique<notify::Dispatcher>(clock, metrics, options);
  for (auto& sink : MakeNotificationSinks(config, config.external_url, http, clock)) {
    dispatcher->AddSink(std::move(sink));
  }
  // Commit statuses on the git hosts, before the dispatcher starts.
  for (auto& sink : notify::MakeCommitStatusSinks(config, http, kVersion, clock)) {
    dispatcher->AddSink(std::move(sink));
  }
  if (dispatcher->sink_count() == 0) return nullptr;
  return dispatcher;
}

}  // namespace ecsync::cli
