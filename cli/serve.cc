#include "cli/serve.h"

#include <fstream>
#include <memory>
#include <ostream>
#include <utility>

#include "base/log.h"
#include "base/memory.h"
#include "base/rate_limiter.h"
#include "cli/aws_call_metrics.h"
#include "cli/aws_setup.h"
#include "cli/notifications.h"
#include "cli/replica.h"
#include "cli/version.h"
#include "config/config.h"
#include "controller/controller.h"
#include "controller/repository_source.h"
#include "git/libgit2_source.h"
#include "metrics/metrics.h"
#include "notify/publisher_switch.h"
#include "web/http_server.h"
#include "web/peer_forwarder.h"
#include "web/webhook_handler.h"

namespace ecsync::cli {

namespace {

// Everything the controller runs on, built from one configuration.
struct Runtime {
  std::unique_ptr<metrics::Metrics> metrics;
  std::shared_ptr<AwsCallMetrics> observer;
  std::shared_ptr<base::RateLimiter> aws_limiter;
  std::unique_ptr<git::LibGit2Source> git;
  reconcile::Targets targets;
  // Notifications and commit statuses: their own HTTP client (short timeouts, so one hung
  // endpoint delays the others briefly) and the dispatcher; null when none is configured.
  std::unique_ptr<aws::CurlHttpClient> notify_http;
  std::shared_ptr<notify::Dispatcher> events;
  // What the controller publishes to: `events` now, the one a reload builds later.
  std::unique_ptr<notify::PublisherSwitch> publisher;
};

// How long a stopping ecsync keeps delivering the notifications it has queued.
constexpr std::chrono::seconds kNotifyGrace{5};
// glibc malloc arenas serve allows itself (base::LimitHeapArenas; MALLOC_ARENA_MAX wins).
constexpr int kHeapArenas = 2;
// How often serve hands the heap's free pages back (base::ReleaseFreeMemory).
constexpr std::chrono::seconds kTrimInterval{10};

base::Result<Runtime> BuildRuntime(const config::Config& config, const CommandContext& context) {
  Runtime runtime;
  runtime.metrics = std::make_unique<metrics::Metrics>(kVersion, kRevision);
  runtime.observer = std::make_shared<AwsCallMetrics>(*runtime.metrics);
  runtime.aws_limiter = std::make_shared<base::RateLimiter>(
      config.aws.requests_per_second, config.aws.burst, *base::SystemClock::Get());
  std::string cache_dir = config.cache_dir;
  if (cache_dir.empty()) {
    ECSYNC_ASSIGN_OR_RETURN(cache_dir, git::DefaultCacheDir(context.env));
  }
  runtime.git = std::make_unique<git::LibGit2Source>(cache_dir);
  ECSYNC_ASSIGN_OR_RETURN(
      runtime.targets, ConnectAws(config.aws, context.env, runtime.observer, runtime.aws_limiter));
  aws::CurlOptions http_options;
  http_options.connect_timeout = std::chrono::seconds(5);
  http_options.total_timeout = std::chrono::seconds(15);
  runtime.notify_http = std::make_unique<aws::CurlHttpClient>(http_options);
  runtime.events = MakeDispatcher(config, *runtime.notify_http, *base::SystemClock::Get(),
                                  runtime.metrics.get());
  runtime.publisher = std::make_unique<notify::PublisherSwitch>();
  runtime.publisher->Swap(runtime.events);
  return runtime;
}

// Applies a reloaded configuration's notifications, notification_queue, external_url and
// commit status settings: a dispatcher built from them takes every event from now on, and
// the one it replaces delivers what it has queued (within the shutdown grace) and stops.
void ReloadNotifications(const config::Config& config, Runtime& runtime) {
  std::shared_ptr<notify::Dispatcher> next = MakeDispatcher(
      config, *runtime.notify_http, *base::SystemClock::Get(), runtime.metrics.get());
  if (next) next->Start();
  runtime.publisher->Swap(next);
  std::shared_ptr<notify::Dispatcher> previous = std::exchange(runtime.events, std::move(next));
  if (previous) previous->Stop(kNotifyGrace);
  base::Log(base::LogLevel::kInfo, "notification settings reloaded",
            {{"sinks", std::to_string(runtime.events ? runtime.events->sink_count() : 0)}});
}

controller::ControllerDeps DepsFor(Runtime& runtime) {
  controller::ControllerDeps deps;
  deps.git = runtime.git.get();
  deps.git_for = [cache_dir = runtime.git->cache_dir()](const config::RepositoryConfig& repo) {
    return controller::MakeRepositoryGitSource(cache_dir, repo);
  };
  deps.targets = runtime.targets;
  deps.clock = base::SystemClock::Get();
  deps.metrics = runtime.metrics.get();
  deps.events = runtime.publisher.get();
  return deps;
}

}  // namespace

ExitCode RunServe(const ServeCommand& command, const CommandContext& context) {
  // Before any thread: four workers, the pollers and the servers would otherwise get up to
  // sixteen arenas on two cores, each keeping the free pages of the listings it built.
  base::LimitHeapArenas(kHeapArenas);
  auto config = config::LoadConfig(command.config_path, context.env);
  if (!config.ok()) {
    context.err << "error: " << config.status().message() << "\n";
    return kExitBadConfig;
  }
  if (!command.listen.empty()) config->server.listen = command.listen;
  if (!command.admin_listen.empty()) config->server.admin_listen = command.admin_listen;
  if (!command.metrics_listen.empty()) config->server.metrics_listen = command.metrics_listen;
  auto runtime = BuildRuntime(*config, context);
  if (!runtime.ok()) {
    context.err << "error: " << runtime.status().message() << "\n";
    return runtime.status().kind() == base::ErrorKind::kInvalid ? kExitBadConfig : kExitFailed;
  }
  // Replicas sharing the projects: this one writes only for the shards it holds.
  std::unique_ptr<Replica> replica;
  controller::ControllerDeps deps = DepsFor(*runtime);
  if (config->coordination.enabled) {
    auto made = Replica::Make(*config, context.env, runtime->observer, runtime->metrics.get());
    if (!made.ok()) {
      context.err << "error: coordination: " << made.status().message() << "\n";
      return made.status().kind() == base::ErrorKind::kInvalid ? kExitBadConfig : kExitFailed;
    }
    replica = std::move(*made);
    deps.fence_for = [&replica](const std::string& repo_url) {
      return replica->FenceFor(repo_url);
    };
  }
  controller::Controller controller(*config, std::move(deps));
  // With replicas, a webhook's check goes to the replica holding the repository's shard.
  std::unique_ptr<aws::CurlHttpClient> peer_http;
  std::unique_ptr<aws::CurlHttpClient> relay_http;  // a project's details read CloudFormation
  std::unique_ptr<web::PeerForwarder> forwarder;
  web::PeerViewSource peers;
  if (replica) {
    aws::CurlOptions peer_options;
    peer_options.connect_timeout = std::chrono::milliseconds(500);
    peer_options.total_timeout = std::chrono::milliseconds(1'500);
    peer_http = std::make_unique<aws::CurlHttpClient>(peer_options);
    peer_options.total_timeout = std::chrono::seconds(15);
    relay_http = std::make_unique<aws::CurlHttpClient>(peer_options);
    peers = [&replica] { return replica->View(); };
    forwarder = std::make_unique<web::PeerForwarder>(*peer_http, peers, *base::SystemClock::Get());
  }
  web::WebhookHandler::Repositories hook_targets{
      [&controller] { return controller.WebhookTargets(); },
      [&controller, &forwarder](const std::string& name) {
        if (forwarder) {
          for (const controller::WebhookTarget& target : controller.WebhookTargets()) {
            if (target.repository == name && forwarder->Forward(name, target.url)) return;
          }
        }
        controller.Trigger(name);
      }};
  web::WebhookHandler::Options hook_options;
  hook_options.max_body_bytes = config->webhooks.max_body_bytes;
  hook_options.requests_per_second = config->webhooks.requests_per_second;
  hook_options.burst = config->webhooks.burst;
  hook_options.source_requests_per_second = config->webhooks.source_requests_per_second;
  hook_options.source_burst = config->webhooks.source_burst;
  hook_options.refused_requests_per_second = config->webhooks.refused_requests_per_second;
  hook_options.refused_burst = config->webhooks.refused_burst;
  web::WebhookHandler webhooks(std::move(hook_targets), runtime->metrics.get(),
                               *base::SystemClock::Get(), hook_options);
  web::HttpServer::Options http_options;
  http_options.listen = config->server.listen;
  http_options.admin_listen = config->server.admin_listen;
  http_options.metrics_listen = config->server.metrics_listen;
  http_options.version = kVersion;
  http_options.api = config->api;
  http_options.request_timeout = config->server.request_timeout;
  http_options.idle_timeout = config->server.idle_timeout;
  http_options.max_connections = static_cast<size_t>(config->server.max_connections);
  http_options.max_connections_per_client =
      static_cast<size_t>(config->server.max_connections_per_client);
  if (replica) {
    http_options.replica_status = [&replica] { return replica->StatusJson(); };
    http_options.peers = peers;
    http_options.peer_http = peer_http.get();
    http_options.relay_http = relay_http.get();
  }
  web::HttpServer http(controller, webhooks, runtime->metrics.get(), http_options);
  if (auto started = http.Start(); !started.ok()) {
    context.err << "error: " << started.message() << "\n";
    return kExitBadConfig;
  }
  if (runtime->events) runtime->events->Start();
  if (replica) {
    replica->Start(PeerUrl(*config, config->server.admin_listen, http.admin_port()));
    forwarder->Start();
  }
  controller.Start();
  base::Log(base::LogLevel::kInfo, "ecsync serving",
            {{"version", kVersion},
             {"port", std::to_string(http.port())},
             {"admin_port", std::to_string(http.admin_port())},
             {"repositories", std::to_string(config->repositories.size())}});
  if (!command.port_file.empty()) {
    std::ofstream out(command.port_file + ".tmp");
    out << http.port() << " " << http.metrics_port() << " " << http.admin_port() << "\n";
    out.close();
    std::rename((command.port_file + ".tmp").c_str(), command.port_file.c_str());
  }
  base::Clock& clock = *base::SystemClock::Get();
  auto trimmed_at = clock.SteadyNow();
  while (command.interrupted == nullptr || !command.interrupted->load()) {
    clock.SleepFor(std::chrono::milliseconds(100));
    // Without this, the pages of every transient stack listing and status document stay
    // with the arena that freed them: with 10,000 repositories the resident size was 1.4 GB
    // for 213 MB in use (bench/RESULTS.md, "Replicas and scale").
    if (clock.SteadyNow() - trimmed_at >= kTrimInterval) {
      base::ReleaseFreeMemory();
      trimmed_at = clock.SteadyNow();
    }
    if (command.reload != nullptr && command.reload->exchange(false)) {
      auto reloaded = config::LoadConfig(command.config_path, context.env);
      if (!reloaded.ok()) {
        // A bad reload keeps the running configuration.
        base::Log(base::LogLevel::kError, "configuration reload failed; keeping the running one",
                  {{"error", reloaded.status().message()}});
        continue;
      }
      controller.Reload(*reloaded);
      ReloadNotifications(*reloaded, *runtime);
      http.SetApiConfig(reloaded->api);
    }
  }
  base::Log(base::LogLevel::kInfo,
            "shutting down: in-flight deploys are left to CloudFormation "
            "and resumed at the next start");
  http.BeginShutdown();
  if (forwarder) forwarder->Stop();
  controller.Stop();
  // Nothing writes any more: the leases go back at once (SIGTERM hands over without waiting
  // for them to expire).
  if (replica) replica->Stop();
  if (runtime->events) runtime->events->Stop(kNotifyGrace);
  http.Stop();
  base::Log(base::LogLevel::kInfo, "stopped");
  return kExitOk;
}

ExitCode RunReconcileConfig(const ReconcileConfigCommand& command, const CommandContext& context) {
  auto config = config::LoadConfig(command.config_path, context.env);
  if (!config.ok()) {
    context.err << "error: " << config.status().message() << "\n";
    return kExitBadConfig;
  }
  auto runtime = BuildRuntime(*config, context);
  if (!runtime.ok()) {
    context.err << "error: " << runtime.status().message() << "\n";
    return runtime.status().kind() == base::ErrorKind::kInvalid ? kExitBadConfig : kExitFailed;
  }
  controller::Controller controller(*config, DepsFor(*runtime));
  if (runtime->events) runtime->events->Start();
  controller::OnceSummary summary = controller.RunOnce(command.force, command.interrupted);
  if (runtime->events) runtime->events->Stop(kNotifyGrace);
  for (const std::string& line : summary.lines) context.out << line << "\n";
  context.out << summary.projects << " project(s): " << summary.succeeded << " ok, "
              << summary.failed << " failed, " << summary.invalid << " invalid, " << summary.errors
              << " error(s), " << summary.held
              << " held (deploy windows or waiting for approval)\n";
  if (summary.invalid > 0) return kExitBadConfig;
  if (summary.errors > 0) return kExitFailed;
  if (summary.failed > 0) return kExitFailed;
  // Not deployed, nothing wrong: a pipeline must not take it for a deploy (see
  // docs/deploy-windows.md).
  if (summary.held > 0) return kExitHeld;
  return kExitOk;
}

}  // namespace ecsync::cli
