#include "cli/approve_command.h"

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "aws/http.h"
#include "cli/aws_setup.h"
#include "reconcile/deployment_approval.h"

namespace ecsync::cli {
namespace {

void PrintText(const reconcile::ApprovalReport& report, std::ostream& out) {
  for (const reconcile::ServiceApproval& s : report.services) {
    switch (s.action) {
      case reconcile::ApprovalAction::kNothingWaiting:
        out << s.service << ": nothing waiting for approval\n";
        break;
      case reconcile::ApprovalAction::kApproved:
      case reconcile::ApprovalAction::kRolledBack:
        out << s.service << ": "
            << (s.action == reconcile::ApprovalAction::kRolledBack ? "rolled back " : "approved ")
            << s.revision << " (" << s.where << ")\n";
        break;
    }
  }
}

void PrintJson(const reconcile::ApprovalReport& report, std::ostream& out) {
  nlohmann::ordered_json services = nlohmann::ordered_json::array();
  for (const reconcile::ServiceApproval& s : report.services) {
    services.push_back({{"service", s.service},
                        {"action", reconcile::ApprovalActionName(s.action)},
                        {"revision", s.revision_arn},
                        {"stage", s.stage},
                        {"paused", s.paused}});
  }
  const nlohmann::ordered_json json = {{"stack", report.stack}, {"services", services}};
  out << json.dump(2) << "\n";
}

// `key` with every byte outside [A-Za-z0-9-._~] percent-encoded (so its '/' is %2F).
std::string EncodeSegment(const std::string& key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

ExitCode RunApproveOnServer(const ApproveCommand& command, const CommandContext& context) {
  std::optional<std::string> token = context.env("ECSYNC_API_TOKEN");
  if (!token || token->empty()) {
    return Fail(context, base::InvalidError("--server needs an operate token in ECSYNC_API_TOKEN "
                                            "(see docs/operator-api.md)"));
  }
  std::string approver = command.as;
  if (approver.empty())
    approver = context.env("USER").value_or(context.env("LOGNAME").value_or(""));
  std::string server = command.server;
  while (server.ends_with('/')) server.pop_back();
  aws::HttpRequest request;
  request.method = "POST";
  request.url = server + "/api/v1/projects/" + EncodeSegment(command.stack_name) +
                (command.rollback ? "/reject" : "/approve");
  request.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
  if (!approver.empty()) request.headers.emplace_back("X-Ecsync-Approver", approver);
  aws::CurlOptions curl;
  curl.connect_timeout = std::chrono::seconds(5);
  aws::CurlHttpClient http(curl);
  base::Result<aws::HttpResponse> response = http.Send(request);
  if (!response.ok()) return Fail(context, response.status().WithContext("asking " + server));
  nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (command.output == "json") context.out << response->body;
  if (response->status == 202) {
    if (command.output == "text" && body.is_object() && body.contains("changeSet")) {
      context.out << (command.rollback ? "rejected " : "approved ") << body.value("change", "")
                  << " " << body.value("changeSet", "") << " (revision "
                  << body.value("revision", "").substr(0, 12) << ") as "
                  << body.value("approvedBy", "") << "\n";
    } else if (command.output == "text" && body.is_object()) {
      for (const auto& s : body.value("services", nlohmann::json::array())) {
        context.out << s.value("service", "") << ": " << s.value("action", "") << " "
                    << s.value("revision", "") << "\n";
      }
    }
    return kExitOk;
  }
  const std::string error = body.is_object() ? body.value("error", "") : "";
  const std::string message = "the controller answered " + std::to_string(response->status) +
                              (error.empty() ? "" : ": " + error);
  if (response->status == 409) {
    context.err << "ecsync: " << message << "\n";
    return kExitFailed;
  }
  if (response->status == 401 || response->status == 403 || response->status == 404) {
    return Fail(context, base::InvalidError(message));
  }
  return Fail(context, base::TransientError(message));
}

ExitCode RunApprove(const ApproveCommand& command, const CommandContext& context) {
  if (command.output != "text" && command.output != "json") {
    return Fail(context,
                base::InvalidError("--output must be text or json, not '" + command.output + "'"));
  }
  if (!command.server.empty()) return RunApproveOnServer(command, context);
  auto clients = MakeClients(command.aws, context.env);
  if (!clients.ok()) return Fail(context, clients.status());
  const reconcile::Targets targets = reconcile::TargetsFromClients(std::move(*clients));
  auto report =
      reconcile::ApproveDeployments(targets, command.stack_name, command.service, command.rollback);
  if (!report.ok()) return Fail(context, report.status());
  if (command.output == "json") {
    PrintJson(*report, context.out);
  } else {
    PrintText(*report, context.out);
  }
  return report->Acted() ? kExitOk : kExitFailed;
}

}  // namespace ecsync::cli
