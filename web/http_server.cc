#include "web/http_server.h"

#include <set>

#include "base/log.h"
#include "base/utf8.h"
#include "web/peer_auth.h"
#include "web/ui_routes.h"

namespace ecsync::web {

namespace {

using server::Request;
using server::Response;

constexpr char kJson[] = "application/json";
// The admin endpoints take no request body worth more than this.
constexpr size_t kAdminMaxBody = size_t{64} * 1024;
// Handlers are short (a webhook is parsed and verified in memory; status and metrics are
// serialized from memory), so a few workers per listener suffice; more requests wait in a
// bounded queue.
constexpr int kPublicWorkers = 4;
constexpr int kAdminWorkers = 2;
// With replicas, a status read may wait on the peers (bounded by their client's timeout):
// more workers keep probes answered meanwhile.
constexpr int kAdminWorkersWithPeers = 4;
constexpr int kMetricsWorkers = 1;

Response JsonResponse(int status, std::string body) {
  Response response = Response::Text(status, std::move(body));
  response.content_type = kJson;
  return response;
}

Response MethodNotAllowed(const char* allow) {
  Response response = Response::Text(405, "method not allowed\n");
  response.headers.emplace_back("Allow", allow);
  return response;
}

// The UI's reads under /api/: the status document with its ETag, the event stream and a
// project's details (HttpServer::HandleApi).
bool IsUiRead(const std::string& path) {
  return path == "/api/v1/status" || path == "/api/v1/events" ||
         (path.starts_with("/api/v1/projects/") && path.ends_with("/details"));
}

}  // namespace

Response HttpServer::Readiness() const {
  std::string owner;  // with coordination: who this replica is and what it holds
  if (options_.replica_status) {
    const nlohmann::ordered_json replica = options_.replica_status();
    if (!replica.value("healthy", false)) {
      // It writes to no stack: another replica should take the traffic (and the shards).
      return Response::Text(
          503, "coordination unhealthy: " + replica.value("reason", std::string()) + "\n");
    }
    owner = ": replica " + replica.value("replica_id", std::string()) + " owns " +
            std::to_string(replica["owned_shards"].size()) + " of " +
            std::to_string(replica.value("shards", 0)) + " shards (fair share " +
            std::to_string(replica.value("fair_share", 0)) + ", " +
            std::to_string(replica.value("live_replicas", 0)) + " live replicas)";
  }
  // Ready once every repository was checked, and from then on: repositories that arrive
  // later (a reload, or shards taken over from a replica that died) are caught up while
  // ready. Turning 503 then would leave a load balancer no process to send webhooks to for
  // the whole catch-up, every survivor of a failover at once.
  const size_t unchecked = controller_.UncheckedRepositories();
  if (unchecked == 0) was_ready_.store(true);
  if (!was_ready_.load()) {
    return Response::Text(503, "waiting for the first check of every repository\n");
  }
  std::string text = "ready" + owner;
  if (unchecked > 0) {
    text += "; catching up: " + std::to_string(unchecked) + " repositories not checked yet";
  }
  return Response::Text(200, text + "\n");
}

HttpServer::HttpServer(controller::Controller& controller, WebhookHandler& webhooks,
                       metrics::Metrics* metrics, Options options)
    : controller_(controller),
      webhooks_(webhooks),
      metrics_(metrics),
      options_(std::move(options)),
      operator_api_(controller_, metrics_, options_.api) {
  if (options_.peers && options_.peer_http != nullptr) {
    peer_status_ = std::make_unique<PeerStatus>(*options_.peer_http, options_.peers,
                                                *base::SystemClock::Get());
  }
  if (options_.peers && options_.relay_http != nullptr) {
    peer_relay_ = std::make_unique<PeerRelay>(*options_.relay_http, options_.peers);
  }
}

HttpServer::~HttpServer() { Stop(); }

Response HttpServer::HandlePublic(const Request& request) {
  auto provider = webhook::ProviderFromPath(request.path);
  if (!provider) {
    return JsonResponse(404, request.path.starts_with("/hooks/")
                                 ? R"({"status":"unknown_provider"})"
                                 : R"({"status":"not_found"})");
  }
  if (request.method != "POST") return MethodNotAllowed("POST");
  webhook::Headers headers;
  for (const auto& [name, value] : request.headers) headers.emplace(name, value);
  WebhookResponse answer = webhooks_.Handle(*provider, headers, request.body, request.peer_address);
  return JsonResponse(answer.status, std::move(answer.body));
}

Response HttpServer::HandlePublicTooLarge(const Request& request) {
  auto provider = webhook::ProviderFromPath(request.path);
  Response response =
      provider ? JsonResponse(413, webhooks_.TooLarge(*provider, request.peer_address).body)
               : Response::Text(413, "request body too large\n");
  response.close = true;
  return response;
}

Response HttpServer::HandleAdmin(const Request& request, bool full) {
  const std::string& path = request.path;
  if (path == "/metrics" || path == "/healthz" || path == "/readyz") {
    if (!request.IsRead()) return MethodNotAllowed("GET, HEAD");
    if (path == "/healthz") return Response::Text(200, "ok\n");
    if (path == "/readyz") {
      if (shutting_down_.load()) return Response::Text(503, "shutting down\n");
      return Readiness();
    }
    if (metrics_ == nullptr) return Response::Text(404, "no metrics\n");
    metrics_->SetQueueDepth(controller_.QueueDepth());
    metrics_->SetUncheckedRepositories(controller_.UncheckedRepositories());
    Response response = Response::Text(200, metrics_->Serialize());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return response;
  }
  if (!full) return Response::Text(404, "not found\n");
  std::optional<Response> answer;
  if (path.starts_with("/internal/")) {
    answer = HandleInternal(request);
  } else if (path.starts_with("/api/") && (answer = RelayToOwner(request))) {
    // Answered by the replica holding the project.
  } else if (path.starts_with("/api/")) {
    // The UI's reads (status with its ETag, events, details) after the operator API's read
    // check; everything else under /api/ is the operator API's.
    if (request.IsRead() && IsUiRead(path)) {
      answer = operator_api_.RefuseRead(request);
      if (!answer) answer = HandleApi(request);
    } else {
      answer = operator_api_.Handle(request);
    }
  } else {
    answer = UiResponse(path, options_.version);
    if (answer && !request.IsRead()) answer = MethodNotAllowed("GET, HEAD");
  }
  if (!answer) answer = Response::Text(404, "not found\n");
  AddSecurityHeaders(*answer);
  return *answer;
}

std::optional<Response> HttpServer::HandleApi(const Request& request) {
  const std::string& path = request.path;
  if (path == "/api/v1/status" && peer_status_) return MergedStatus(request);
  if (path == "/api/v1/status") {
    // The version first: a client that is up to date costs no document. A change between
    // this read and ToJson only makes the ETag older than the body, so the next request
    // fetches again; never the reverse.
    std::string etag = "\"v" + std::to_string(controller_.status().version());
    std::optional<nlohmann::ordered_json> replica;
    if (options_.replica_status) {
      // The replica's shares change without a status version: they are part of the tag.
      replica = options_.replica_status();
      etag += "-r" + std::to_string(std::hash<std::string>{}(replica->dump()));
    }
    etag += "\"";
    if (const std::string* match = request.Header("If-None-Match"); match && *match == etag) {
      Response unchanged = Response::Text(304, "");
      unchanged.content_type.clear();
      unchanged.headers.emplace_back("ETag", etag);
      return unchanged;
    }
    // Unindented: with thousands of projects indentation is a quarter of the bytes.
    nlohmann::ordered_json doc = controller_.status().ToJson();
    if (replica) doc["replica"] = std::move(*replica);
    Response response = JsonResponse(200, doc.dump() + "\n");
    response.headers.emplace_back("ETag", etag);
    response.headers.emplace_back("Cache-Control", "no-cache");
    return response;
  }
  if (path == "/api/v1/events") {
    Response stream = Response::Text(
        200, "retry: 3000\n\n" + StatusEvent(controller_.status().version(), "", std::nullopt));
    stream.content_type = "text/event-stream; charset=utf-8";
    stream.headers.emplace_back("Cache-Control", "no-store");
    stream.headers.emplace_back("X-Accel-Buffering", "no");  // proxies: do not buffer
    stream.stream = true;
    return stream;
  }
  if (auto key = ProjectKeyFromPath(path, "/api/v1/projects/", "/details")) {
    base::Result<nlohmann::ordered_json> details = controller_.ProjectDetails(*key);
    if (!details.ok()) {
      return JsonResponse(
          404, nlohmann::json({{"error", base::SanitizeUtf8(details.status().message())}}).dump());
    }
    return JsonResponse(200, details->dump() + "\n");
  }
  return JsonResponse(404, R"({"error":"no such route"})");
}

Response HttpServer::MergedStatus(const Request& request) {
  nlohmann::ordered_json doc = peer_status_->Merge(controller_.status().ToJson());
  if (options_.replica_status) doc["replica"] = options_.replica_status();
  std::string body = doc.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // The peers' documents carry their own versions: the tag is the merged body's.
  const std::string etag = "\"m" + std::to_string(std::hash<std::string>{}(body)) + "\"";
  if (const std::string* match = request.Header("If-None-Match"); match && *match == etag) {
    Response unchanged = Response::Text(304, "");
    unchanged.content_type.clear();
    unchanged.headers.emplace_back("ETag", etag);
    return unchanged;
  }
  Response response = JsonResponse(200, std::move(body) + "\n");
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

std::optional<Response> HttpServer::RelayToOwner(const Request& request) {
  constexpr std::string_view kPrefix = "/api/v1/projects/";
  if (!peer_relay_ || !request.path.starts_with(kPrefix)) return std::nullopt;
  const std::string_view rest = std::string_view(request.path).substr(kPrefix.size());
  std::optional<std::string> key = PercentDecode(rest.substr(0, rest.find('/')));
  if (!key) return std::nullopt;
  const std::string repository = key->substr(0, key->find('/'));
  for (const controller::WebhookTarget& target : controller_.WebhookTargets()) {
    if (target.repository == repository) return peer_relay_->Relay(request, target.url);
  }
  return std::nullopt;
}

Response HttpServer::HandleInternal(const Request& request) {
  if (!options_.peers) return Response::Text(404, "not found\n");
  // The signature before anything else: a stranger learns nothing and costs one HMAC.
  if (!VerifyPeerRequest(request, options_.peers().secret, base::SystemClock::Get()->Now())) {
    return JsonResponse(
        401, R"({"error":"peer signature missing, stale or not made with the peer secret"})");
  }
  if (request.path == kPeerStatusPath) {
    if (!request.IsRead()) return MethodNotAllowed("GET, HEAD");
    return JsonResponse(200, controller_.status().ToJson().dump(
                                 -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
                                 "\n");
  }
  if (request.path == "/internal/v1/trigger") {
    if (request.method != "POST") return MethodNotAllowed("POST");
    const nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    auto names = body.is_object() ? body.find("repositories") : body.end();
    if (names == body.end() || !names->is_array()) {
      return JsonResponse(400, R"({"error":"expected {\"repositories\": [names]}"})");
    }
    std::set<std::string> configured;
    for (const controller::WebhookTarget& target : controller_.WebhookTargets()) {
      configured.insert(target.repository);
    }
    nlohmann::json triggered = nlohmann::json::array();
    for (const nlohmann::json& name : *names) {
      if (!name.is_string() || !configured.contains(name.get<std::string>())) continue;
      controller_.Trigger(name.get<std::string>());
      triggered.push_back(name);
    }
    base::Log(base::LogLevel::kInfo, "check requested by another replica (a webhook it received)",
              {{"repositories",
                triggered.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
    return JsonResponse(202, nlohmann::json({{"status", "accepted"}, {"repositories", triggered}})
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return Response::Text(404, "not found\n");
}

server::Listener::Options HttpServer::ListenerOptions(const std::string& name,
                                                      const std::string& address) const {
  server::Listener::Options listener;
  listener.name = name;
  listener.address = address;
  listener.request_timeout = options_.request_timeout;
  listener.idle_timeout = options_.idle_timeout;
  listener.write_timeout = options_.request_timeout;
  listener.max_connections = options_.max_connections;
  listener.max_connections_per_client = options_.max_connections_per_client;
  listener.limits.max_body_bytes = kAdminMaxBody;
  listener.max_streams = kMaxEventStreams;
  listener.stream_heartbeat = options_.stream_heartbeat;
  return listener;
}

base::Status HttpServer::StartListener(std::unique_ptr<server::Listener>& listener,
                                       server::Listener::Options options,
                                       server::Listener::Callbacks callbacks, const char* key) {
  if (metrics_ != nullptr) {
    callbacks.refused = [metrics = metrics_, name = options.name](const char* reason) {
      metrics->HttpRefused(name, reason);
    };
  }
  const std::string address = options.address;
  listener = std::make_unique<server::Listener>(std::move(options), std::move(callbacks));
  if (base::Status started = listener->Start(); !started.ok()) {
    listener.reset();
    return base::InvalidError(started.message() + "; set server." + key);
  }
  return base::Status::Ok();
}

base::Status HttpServer::Start() {
  server::Listener::Options public_options = ListenerOptions("public", options_.listen);
  public_options.limits.max_body_bytes = webhooks_.max_body_bytes();
  public_options.workers = kPublicWorkers;
  server::Listener::Callbacks public_callbacks;
  public_callbacks.handle = [this](const Request& request) { return HandlePublic(request); };
  public_callbacks.too_large = [this](const Request& request) {
    return HandlePublicTooLarge(request);
  };
  ECSYNC_RETURN_IF_ERROR(
      StartListener(public_, std::move(public_options), std::move(public_callbacks), "listen"));

  server::Listener::Options admin_options = ListenerOptions("admin", options_.admin_listen);
  admin_options.workers = peer_status_ ? kAdminWorkersWithPeers : kAdminWorkers;
  server::Listener::Callbacks admin_callbacks;
  admin_callbacks.handle = [this](const Request& request) { return HandleAdmin(request, true); };
  if (base::Status status = StartListener(admin_, std::move(admin_options),
                                          std::move(admin_callbacks), "admin_listen");
      !status.ok()) {
    Stop();
    return status;
  }
  // Every change of the status store goes to the browsers watching (cheap: one JSON object
  // handed to the admin I/O thread, which writes it without blocking).
  status_observer_ = controller_.status().AddObserver(
      [this](uint64_t version, const std::string& key, const std::string& repository) {
        if (!key.empty()) {
          admin_->Broadcast(StatusEvent(version, key, controller_.status().ProjectJson(key)));
        } else {
          admin_->Broadcast(RepositoryEvent(version, repository,
                                            controller_.status().RepositoryJson(repository)));
        }
      });

  if (!options_.metrics_listen.empty()) {
    server::Listener::Options metrics_options = ListenerOptions("metrics", options_.metrics_listen);
    metrics_options.workers = kMetricsWorkers;
    server::Listener::Callbacks metrics_callbacks;
    metrics_callbacks.handle = [this](const Request& request) {
      return HandleAdmin(request, false);
    };
    if (base::Status status = StartListener(metrics_server_, std::move(metrics_options),
                                            std::move(metrics_callbacks), "metrics_listen");
        !status.ok()) {
      Stop();
      return status;
    }
  }
  base::Log(base::LogLevel::kInfo, "HTTP listening",
            {{"public", options_.listen + " (port " + std::to_string(port()) + ")"},
             {"admin", options_.admin_listen + " (port " + std::to_string(admin_port()) + ")"}});
  return base::Status::Ok();
}

void HttpServer::Stop() {
  shutting_down_.store(true);
  if (status_observer_ >= 0) {
    controller_.status().RemoveObserver(status_observer_);
    status_observer_ = -1;
  }
  if (public_) public_->Stop();
  if (admin_) admin_->Stop();
  if (metrics_server_) metrics_server_->Stop();
}

}  // namespace ecsync::web
