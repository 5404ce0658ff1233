#include "web/operator_api.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/utf8.h"
#include "webhook/webhook.h"

namespace ecsync::web {

namespace {

using server::Request;
using server::Response;

constexpr std::string_view kApiPrefix = "/api/";
constexpr std::string_view kStatusPath = "/api/v1/status";
constexpr std::string_view kProjectsPrefix = "/api/v1/projects/";
constexpr std::string_view kActions[] = {"reconcile",   "suspend", "resume",
                                         "acknowledge", "approve", "reject"};
constexpr char kRealm[] = "Bearer realm=\"ecsync\"";

Response Json(int status, const nlohmann::ordered_json& body) {
  Response response = Response::Text(status, body.dump(2) + "\n");
  response.content_type = "application/json";
  // Answers may depend on the caller's token: never cached by a proxy or browser.
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Response Error(int status, const std::string& message) {
  return Json(status, {{"error", message}});
}

Response Unauthorized(bool token_given) {
  Response response = Error(
      401, token_given ? "the bearer token is not valid"
                       : "this endpoint needs Authorization: Bearer <token> (see api.tokens)");
  response.headers.emplace_back(
      "WWW-Authenticate", token_given ? std::string(kRealm) + ", error=\"invalid_token\"" : kRealm);
  return response;
}

Response ApiMethodNotAllowed(const char* allow) {
  Response response = Error(405, std::string("use ") + allow);
  response.headers.emplace_back("Allow", allow);
  return response;
}

// One path segment with its %XX escapes decoded; nullopt when an escape is malformed.
std::optional<std::string> DecodeSegment(std::string_view segment) {
  std::string out;
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out.push_back(segment[i]);
      continue;
    }
    std::optional<std::string> byte = base::HexDecode(segment.substr(i + 1, 2));
    if (!byte || byte->size() != 1) return std::nullopt;
    out += *byte;
    i += 2;
  }
  return out;
}

// Who decides an approval: the token's name, or "<person> via <token name>" when the
// request names a person (`ecsync approve --server` sends X-Ecsync-Approver). The person is
// the caller's word, so the token's name stays beside it; kept to 64 printable characters.
std::string Approver(const Request& request, const std::string& token_name) {
  const std::string* header = request.Header("X-Ecsync-Approver");
  if (header == nullptr) return token_name;
  std::string person;
  for (char c : base::TrimAscii(*header)) {
    if (person.size() == 64) break;
    person.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                             c == '-' || c == '@'
                         ? c
                         : '_');
  }
  return person.empty() ? token_name : person + " via " + token_name;
}

bool IsAction(std::string_view word) {
  for (std::string_view action : kActions) {
    if (word == action) return true;
  }
  return false;
}

}  // namespace

// Who made a request: a token's name and role, or no one (reads that are open).
struct OperatorApi::Caller {
  std::string name;
  config::ApiRole role = config::ApiRole::kRead;
};

// What a path under /api/ asks for.
struct OperatorApi::Route {
  enum class Kind { kNone, kStatus, kProject, kAction } kind = Kind::kNone;
  std::string key;     // kProject, kAction: the project key, decoded
  std::string action;  // kAction: one of kActions
};

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  authorization = base::TrimAscii(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      !base::EqualsIgnoreAsciiCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  std::string_view token = base::TrimAscii(authorization.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

const config::ApiToken* FindToken(const config::ApiConfig& config, std::string_view token) {
  const std::string digest = base::Sha256(token);
  const config::ApiToken* found = nullptr;
  for (const config::ApiToken& entry : config.tokens) {
    // No early exit: every entry is compared whether or not one matched already.
    const bool equal = webhook::ConstantTimeEquals(digest, entry.sha256);
    found = equal ? &entry : found;
  }
  return found;
}

OperatorApi::OperatorApi(controller::Controller& controller, metrics::Metrics* metrics,
                         config::ApiConfig config)
    : controller_(controller),
      metrics_(metrics),
      config_(std::make_shared<const config::ApiConfig>(std::move(config))) {}

void OperatorApi::SetConfig(config::ApiConfig config) {
  auto replacement = std::make_shared<const config::ApiConfig>(std::move(config));
  std::lock_guard<std::mutex> lock(mu_);
  config_ = std::move(replacement);
}

std::shared_ptr<const config::ApiConfig> OperatorApi::Config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

bool OperatorApi::Handles(std::string_view path) { return path.starts_with(kApiPrefix); }

std::optional<Response> OperatorApi::Authorize(const Request& request,
                                               const config::ApiConfig& config, bool action,
                                               Caller* caller) const {
  if (config.tokens.empty()) {
    if (!action) return std::nullopt;
    return Error(403,
                 "operator actions are turned off: configure api.tokens with a token of role "
                 "operate (see docs/operator-api.md)");
  }
  if (!action && config.open_reads) return std::nullopt;
  const std::string* header = request.Header("Authorization");
  const std::optional<std::string_view> token =
      header != nullptr ? BearerToken(*header) : std::nullopt;
  if (!token) return Unauthorized(/*token_given=*/false);
  const config::ApiToken* found = FindToken(config, *token);
  if (found == nullptr) return Unauthorized(/*token_given=*/true);
  caller->name = found->name;
  caller->role = found->role;
  if (action && found->role != config::ApiRole::kOperate) {
    return Error(403, "this token may only read; actions need a token with role operate");
  }
  return std::nullopt;
}

std::optional<Response> OperatorApi::RefuseRead(const Request& request) const {
  Caller caller;
  return Authorize(request, *Config(), /*action=*/false, &caller);
}

Response OperatorApi::Read(const Route& route) const {
  if (route.kind == Route::Kind::kStatus) return Json(200, controller_.status().ToJson());
  std::optional<nlohmann::ordered_json> project = controller_.status().ProjectJson(route.key);
  if (!project) return Error(404, "no such project");
  return Json(200, *project);
}

void OperatorApi::Record(const Route& route, const std::string& token_name, const std::string& peer,
                         const char* result) const {
  const bool accepted = std::string_view(result) == "accepted";
  base::Log(accepted ? base::LogLevel::kInfo : base::LogLevel::kWarn,
            accepted ? "operator action" : "operator action refused",
            {{"action", route.action},
             {"project", base::SanitizeUtf8(route.key)},
             {"token_name", token_name},
             {"result", result},
             {"client", peer}});
  if (metrics_ != nullptr) metrics_->OperatorAction(route.action, result);
}

Response OperatorApi::Act(const Request& request, const Route& route,
                          const config::ApiConfig& config) const {
  Caller caller;
  if (std::optional<Response> refusal = Authorize(request, config, /*action=*/true, &caller)) {
    Record(route, caller.name, request.peer_address,
           refusal->status == 401 ? "unauthorized" : "forbidden");
    return *std::move(refusal);
  }
  if (!request.body.empty()) {
    Record(route, caller.name, request.peer_address, "bad_request");
    return Error(413, "actions take no request body; send none");
  }
  if (route.action == "approve" || route.action == "reject") return Approve(request, route, caller);
  base::Status status;
  controller::ProjectStatus current;
  if (route.action == "reconcile" && controller_.status().FindProject(route.key, &current) &&
      current.condition == controller::Condition::kHeld) {
    // Held by a deploy window: a window with manual_sync lets this one run through.
    status = controller_.OverrideWindow(route.key);
  } else if (route.action == "reconcile") {
    status = controller_.ReconcileNow(route.key);
  } else if (route.action == "suspend") {
    status = controller_.Suspend(route.key, caller.name);
  } else if (route.action == "resume") {
    status = controller_.Resume(route.key);
  } else {
    status = controller_.Acknowledge(route.key);
  }
  if (!status.ok()) {
    switch (status.kind()) {
      case base::ErrorKind::kNotFound:
        Record(route, caller.name, request.peer_address, "not_found");
        return Error(404, "no such project");
      case base::ErrorKind::kConflict:
        // The controller's conflicts are written for operators (operator_actions.cc).
        Record(route, caller.name, request.peer_address, "conflict");
        return Error(409, status.message());
      default:
        Record(route, caller.name, request.peer_address, "error");
        return Error(500, "the action could not be recorded");
    }
  }
  Record(route, caller.name, request.peer_address, "accepted");
  nlohmann::ordered_json body = {
      {"project", base::SanitizeUtf8(route.key)}, {"action", route.action}, {"accepted", true}};
  controller::ProjectStatus project;
  if (route.action == "resume" && controller_.status().FindProject(route.key, &project) &&
      project.suspended) {
    body["suspended"] = true;
    body["note"] =
        "still suspended: the configuration says suspend: true, which wins over the API; remove "
        "it and reload";
  }
  return Json(202, body);
}

Response OperatorApi::Approve(const Request& request, const Route& route,
                              const Caller& caller) const {
  const bool reject = route.action == "reject";
  // A change set (or plan) waiting under approval: manual comes first; without one, the
  // ECS deployments waiting at their approval hook.
  const std::string approver = Approver(request, caller.name);
  base::Result<controller::Controller::ChangeDecision> decision =
      controller_.DecideChange(route.key, approver, reject);
  if (!decision.ok()) {
    if (decision.status().kind() == base::ErrorKind::kConflict) {
      // A removed project's delete that waits no more: the controller's words say why.
      Record(route, caller.name, request.peer_address, "conflict");
      return Error(409, base::SanitizeUtf8(decision.status().message()));
    }
    Record(route, caller.name, request.peer_address, "not_found");
    return Error(404, "no such project");
  }
  if (decision->waiting) {
    Record(route, caller.name, request.peer_address, "accepted");
    nlohmann::ordered_json body = {{"project", base::SanitizeUtf8(route.key)},
                                   {"action", route.action},
                                   {"accepted", true},
                                   {"changeSet", base::SanitizeUtf8(decision->change_set)},
                                   {"change", decision->action},
                                   {"revision", base::SanitizeUtf8(decision->revision)},
                                   {"approvedBy", base::SanitizeUtf8(approver)}};
    if (!decision->note.empty()) body["note"] = base::SanitizeUtf8(decision->note.substr(2));
    return Json(202, body);
  }
  base::Result<reconcile::ApprovalReport> report =
      controller_.ApproveDeployment(route.key, /*rollback=*/reject);
  if (!report.ok()) {
    switch (report.status().kind()) {
      case base::ErrorKind::kNotFound:
        Record(route, caller.name, request.peer_address, "not_found");
        return Error(404, "no such project, or its stack does not exist");
      case base::ErrorKind::kInvalid:
        // ecsync's own words: no service with approval: manual, or no ECS to ask.
        Record(route, caller.name, request.peer_address, "conflict");
        return Error(409, base::SanitizeUtf8(report.status().message()));
      default:
        Record(route, caller.name, request.peer_address, "error");
        return Error(502, "the approval could not be read or written in AWS; see the log");
    }
  }
  nlohmann::ordered_json services = nlohmann::ordered_json::array();
  for (const reconcile::ServiceApproval& s : report->services) {
    services.push_back({{"service", base::SanitizeUtf8(s.service)},
                        {"action", reconcile::ApprovalActionName(s.action)},
                        {"revision", base::SanitizeUtf8(s.revision_arn)},
                        {"stage", base::SanitizeUtf8(s.stage)}});
  }
  if (!report->Acted()) {
    Record(route, caller.name, request.peer_address, "conflict");
    nlohmann::ordered_json body = {{"error", "no deployment is waiting for approval"},
                                   {"services", std::move(services)}};
    return Json(409, body);
  }
  Record(route, caller.name, request.peer_address, "accepted");
  base::Log(base::LogLevel::kInfo, reject ? "deployment rejected" : "deployment approved",
            {{"project", route.key}, {"token_name", caller.name}});
  return Json(202, {{"project", base::SanitizeUtf8(route.key)},
                    {"action", route.action},
                    {"accepted", true},
                    {"services", std::move(services)}});
}

Response OperatorApi::Handle(const Request& request) const {
  Route route;
  const std::string& path = request.path;
  if (path == kStatusPath) {
    route.kind = Route::Kind::kStatus;
  } else if (path.starts_with(kProjectsPrefix)) {
    // Split before decoding, so an encoded slash (%2F) stays inside its segment.
    std::vector<std::string> segments;
    for (const std::string& raw :
         base::Split(std::string_view(path).substr(kProjectsPrefix.size()), '/')) {
      std::optional<std::string> segment = DecodeSegment(raw);
      if (!segment) return Error(400, "the path holds a malformed %-escape");
      segments.push_back(std::move(*segment));
    }
    // <key> | <repository>/<project> | <key>/<action> | <repository>/<project>/<action>
    const bool encoded = !segments.empty() && segments[0].find('/') != std::string::npos;
    const size_t key_segments = encoded ? 1 : 2;
    if (segments.size() == key_segments || segments.size() == key_segments + 1) {
      route.key = encoded ? segments[0] : segments[0] + "/" + segments[1];
      route.kind = Route::Kind::kProject;
      if (segments.size() == key_segments + 1) {
        route.action = segments.back();
        route.kind = IsAction(route.action) ? Route::Kind::kAction : Route::Kind::kNone;
      }
    }
  }
  switch (route.kind) {
    case Route::Kind::kNone:
      return Error(404, "no such endpoint (see docs/operator-api.md)");
    case Route::Kind::kStatus:
    case Route::Kind::kProject: {
      if (!request.IsRead()) return ApiMethodNotAllowed("GET, HEAD");
      Caller caller;
      if (std::optional<Response> refusal =
              Authorize(request, *Config(), /*action=*/false, &caller)) {
        return *std::move(refusal);
      }
      return Read(route);
    }
    case Route::Kind::kAction:
      if (request.method != "POST") return ApiMethodNotAllowed("POST");
      return Act(request, route, *Config());
  }
  return Error(404, "no such endpoint");
}

}  // namespace ecsync::web
