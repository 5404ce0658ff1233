#include "cli/approve_command.h"

#include <nlohmann/json.hpp>
#include <ostream>

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

}  // namespace

ExitCode RunApprove(const ApproveCommand& command, const CommandContext& context) {
  if (command.output != "text" && command.output != "json") {
    return Fail(context,
                base::InvalidError("--output must be text or json, not '" + command.output + "'"));
  }
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
