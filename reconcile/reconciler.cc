#include "reconcile/reconciler.h"

#include <algorithm>
#include <cctype>

#include "base/hash.h"
#include "compose/loader.h"
#include "reconcile/git_file_reader.h"
#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

namespace {

// CloudFormation accepts at most this many bytes in TemplateBody; larger templates must be
// uploaded to S3 first.
constexpr size_t kMaxTemplateBody = 51200;

std::string Dirname(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string Short(const std::string& revision) { return revision.substr(0, 12); }

// Statuses from which a stack cannot be updated, only deleted and created again.
bool NeedsRecreate(const std::string& status) {
  return status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" ||
         status == "REVIEW_IN_PROGRESS" || status == "CREATE_FAILED" ||
         status == "DELETE_FAILED";
}

std::string DescribeFailures(const std::vector<FailedResource>& failures) {
  if (failures.empty()) return "";
  const FailedResource& first = failures.front();
  return "; first failure: " + first.logical_id + " (" + first.resource_type + ") " + first.status +
         ": " + first.reason;
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "none";
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kDelete:
      return "delete";
  }
  return "unknown";
}

std::string StackNameFor(const std::string& project_name) {
  std::string out;
  for (char c : project_name) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  }
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "ecsync-" + out;
  if (out.size() > 128) out.resize(128);
  return out;
}

std::string RepoName(const std::string& url) {
  std::string trimmed = url;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
  auto cut = trimmed.find_last_of("/:");
  std::string name = cut == std::string::npos ? trimmed : trimmed.substr(cut + 1);
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

Reconciler::Reconciler(git::GitSource& git, aws::CloudFormation& cfn, aws::Ec2* ec2,
                       base::Clock& clock, ProgressSink sink)
    : git_(git), cfn_(cfn), ec2_(ec2), clock_(clock), sink_(std::move(sink)) {}

void Reconciler::Say(const std::string& line) const {
  if (sink_) sink_(line);
}

base::Result<ReconcileReport> Reconciler::Reconcile(const ReconcileOptions& options) {
  ECSYNC_ASSIGN_OR_RETURN(std::string compose_path, NormalizeRepoPath(options.compose_path));
  const std::string source = SourceId(options.repo_url, compose_path);
  auto fetched = git_.Fetch(options.repo_url, options.ref);
  if (!fetched.ok()) return fetched.status().WithContext("fetching " + options.repo_url);
  const std::string revision = *fetched;
  Say("revision " + Short(revision) + " of " + options.repo_url + " (" + options.ref + ")");

  auto content = git_.ReadFile(options.repo_url, revision, compose_path);
  if (!content.ok()) return content.status();
  if (!content->has_value()) {
    Say(compose_path + " is not in this revision; removing the stacks it deployed");
    return DeleteOwnedStacks(options, source, revision);
  }

  GitFileReader reader(git_, options.repo_url, revision);
  compose::LoadOptions load;
  load.files = {compose_path};
  load.working_dir = Dirname(compose_path);
  load.project_name = options.project_name;
  load.default_project_name = load.working_dir.empty()
                                  ? RepoName(options.repo_url)
                                  : load.working_dir.substr(load.working_dir.rfind('/') + 1);
  load.environment = options.environment;
  auto project = compose::Load(load, reader);
  if (!project.ok()) {
    // A bad commit must never touch a running stack: report and stop here.
    return base::InvalidError(project.status().message() + " (at revision " + Short(revision) +
                              "; the deployed stack is left as it is)");
  }
  ECSYNC_ASSIGN_OR_RETURN(cfn::ConvertOptions network, ResolveNetwork(options));
  auto tmpl = cfn::Convert(*project, network);
  if (!tmpl.ok()) {
    return base::InvalidError(tmpl.status().message() + " (at revision " + Short(revision) +
                              "; the deployed stack is left as it is)");
  }
  std::string body = tmpl->dump();
  if (body.size() > kMaxTemplateBody) {
    return base::InvalidError("the template for " + compose_path + " is " +
                              std::to_string(body.size()) +
                              " bytes, over CloudFormation's 51,200-byte TemplateBody limit");
  }
  std::string stack_name =
      options.stack_name.empty() ? StackNameFor(project->name) : options.stack_name;
  return Apply(options, source, revision, stack_name, body);
}

base::Result<cfn::ConvertOptions> Reconciler::ResolveNetwork(const ReconcileOptions& options) {
  cfn::ConvertOptions network = options.network;
  if (!network.vpc_id.empty() && !network.subnet_ids.empty()) return network;
  if (ec2_ == nullptr) {
    return base::InvalidError("no VPC to deploy into: pass --vpc-id and --subnet-ids");
  }
  if (network.vpc_id.empty()) {
    auto vpc = ec2_->DefaultVpcId();
    if (!vpc.ok()) {
      return vpc.status().WithContext(
          "looking up the default VPC (pass --vpc-id and --subnet-ids to choose one)");
    }
    network.vpc_id = *vpc;
  }
  if (network.subnet_ids.empty()) {
    auto subnets = ec2_->SubnetIds(network.vpc_id);
    if (!subnets.ok()) return subnets.status().WithContext("looking up subnets of " + network.vpc_id);
    if (subnets->empty()) {
      return base::InvalidError("VPC " + network.vpc_id + " has no subnets; pass --subnet-ids");
    }
    network.subnet_ids = *subnets;
  }
  return network;
}

base::Result<ReconcileReport> Reconciler::Apply(const ReconcileOptions& options,
                                                const std::string& source,
                                                const std::string& revision,
                                                const std::string& stack_name,
                                                const std::string& template_body) {
  std::map<std::string, std::string> tags = {
      {kTagManagedBy, kManagedByValue},
      {kTagSource, source},
      {kTagRevision, revision},
      {kTagTemplateSha, base::Sha256Hex(template_body)},
  };
  auto existing = cfn_.DescribeStack(stack_name);
  if (!existing.ok()) {
    if (existing.status().kind() == base::ErrorKind::kNotFound) {
      return Create(options, tags, stack_name, template_body);
    }
    return existing.status();
  }
  aws::Stack stack = *existing;
  if (!IsManaged(stack.tags)) {
    return base::ConflictError("stack " + stack_name +
                               " exists and was not created by ecsync; ecsync will not change "
                               "it. Choose another --stack-name, or delete that stack");
  }
  auto owner = stack.tags.find(kTagSource);
  if (owner != stack.tags.end() && owner->second != source) {
    return base::ConflictError("stack " + stack_name + " is deployed by ecsync from " +
                               owner->second + ", not from " + source +
                               "; choose another --stack-name");
  }
  if (!IsTerminalStatus(stack.status)) {
    // Another run (or a killed one) started an operation: wait for it, never start a second.
    Say("stack " + stack_name + " is " + stack.status + "; waiting for it to finish");
    StackWaiter waiter(cfn_, clock_, sink_, options.wait);
    ECSYNC_RETURN_IF_ERROR(waiter.Begin(stack.id));
    ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(stack.id));
    if (waited.final_status == "DELETE_COMPLETE") {
      return Create(options, tags, stack_name, template_body);
    }
    ECSYNC_ASSIGN_OR_RETURN(stack, cfn_.DescribeStack(stack.id));
  }
  if (NeedsRecreate(stack.status)) {
    Say("stack " + stack_name + " is " + stack.status + " and cannot be updated; deleting it first");
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted, Delete(options, stack, revision));
    if (!deleted.succeeded) return deleted;
    return Create(options, tags, stack_name, template_body);
  }
  if (stack.tags[kTagTemplateSha] == tags[kTagTemplateSha] && stack.status.ends_with("_COMPLETE")) {
    ReconcileReport report;
    report.stack_name = stack_name;
    report.revision = revision;
    report.final_status = stack.status;
    report.message = "stack " + stack_name + " is up to date (template unchanged since revision " +
                     Short(stack.tags[kTagRevision]) + ")";
    return report;
  }
  return Update(options, tags, stack, template_body);
}

base::Result<ReconcileReport> Reconciler::Create(const ReconcileOptions& options,
                                                 const std::map<std::string, std::string>& tags,
                                                 const std::string& stack_name,
                                                 const std::string& template_body) {
  const std::string& revision = tags.at(kTagRevision);
  Say("creating stack " + stack_name + " at revision " + Short(revision));
  aws::CreateStackRequest request;
  request.name = stack_name;
  request.template_body = template_body;
  request.tags = tags;
  request.capabilities = {"CAPABILITY_IAM"};
  request.on_failure = "DELETE";  // a failed create leaves nothing behind
  request.client_request_token = RequestToken(stack_name, revision, "create");
  StackWaiter waiter(cfn_, clock_, sink_, options.wait);
  ECSYNC_ASSIGN_OR_RETURN(std::string stack_id, cfn_.CreateStack(request));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(stack_id));
  ReconcileReport report;
  report.action = Action::kCreate;
  report.stack_name = stack_name;
  report.revision = revision;
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "CREATE_COMPLETE";
  report.message = report.succeeded
                       ? "created stack " + stack_name + " at revision " + Short(revision)
                       : "creating stack " + stack_name + " failed (" + waited.final_status +
                             "; the failed stack was removed)" + DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Reconciler::Update(const ReconcileOptions& options,
                                                 const std::map<std::string, std::string>& tags,
                                                 const aws::Stack& stack,
                                                 const std::string& template_body) {
  const std::string& revision = tags.at(kTagRevision);
  Say("updating stack " + stack.name + " from revision " + Short(stack.tags.count(kTagRevision) ? stack.tags.at(kTagRevision) : "") +
      " to " + Short(revision));
  aws::UpdateStackRequest request;
  request.name = stack.id.empty() ? stack.name : stack.id;
  request.template_body = template_body;
  request.tags = tags;
  request.capabilities = {"CAPABILITY_IAM"};
  request.client_request_token = RequestToken(stack.name, revision, "update");
  StackWaiter waiter(cfn_, clock_, sink_, options.wait);
  ECSYNC_RETURN_IF_ERROR(waiter.Begin(request.name));
  ReconcileReport report;
  report.stack_name = stack.name;
  report.revision = revision;
  base::Status started = cfn_.UpdateStack(request);
  if (!started.ok()) {
    if (started.message().find("No updates are to be performed") != std::string::npos) {
      report.final_status = stack.status;
      report.message = "stack " + stack.name + " is up to date";
      return report;
    }
    return started.WithContext("updating stack " + stack.name);
  }
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(request.name));
  report.action = Action::kUpdate;
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "UPDATE_COMPLETE";
  report.message = report.succeeded
                       ? "updated stack " + stack.name + " to revision " + Short(revision)
                       : "updating stack " + stack.name + " failed (" + waited.final_status +
                             "; CloudFormation rolled it back to the previous revision)" +
                             DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Reconciler::Delete(const ReconcileOptions& options,
                                                 const aws::Stack& stack,
                                                 const std::string& revision) {
  return DeleteAndWait(cfn_, clock_, sink_, stack, revision, options.wait);
}

base::Result<ReconcileReport> DeleteAndWait(aws::CloudFormation& cfn, base::Clock& clock,
                                            const ProgressSink& sink, const aws::Stack& stack,
                                            const std::string& revision, const WaitOptions& wait) {
  if (sink) sink("deleting stack " + stack.name);
  std::string id = stack.id.empty() ? stack.name : stack.id;
  StackWaiter waiter(cfn, clock, sink, wait);
  ECSYNC_RETURN_IF_ERROR(waiter.Begin(id));
  ECSYNC_RETURN_IF_ERROR(cfn.DeleteStack(id, RequestToken(stack.name, revision, "delete")));
  ECSYNC_ASSIGN_OR_RETURN(WaitResult waited, waiter.Wait(id));
  ReconcileReport report;
  report.action = Action::kDelete;
  report.stack_name = stack.name;
  report.revision = revision;
  report.final_status = waited.final_status;
  report.failures = waited.failures;
  report.succeeded = waited.final_status == "DELETE_COMPLETE";
  report.message = report.succeeded ? "deleted stack " + stack.name
                                    : "deleting stack " + stack.name + " failed (" +
                                          waited.final_status + ")" +
                                          DescribeFailures(waited.failures);
  return report;
}

base::Result<ReconcileReport> Down(aws::CloudFormation& cfn, base::Clock& clock, ProgressSink sink,
                                   const std::string& stack_name, const WaitOptions& wait) {
  ECSYNC_ASSIGN_OR_RETURN(aws::Stack stack, cfn.DescribeStack(stack_name));
  if (!IsManaged(stack.tags)) {
    return base::ConflictError("stack " + stack_name +
                               " was not created by ecsync; ecsync will not delete it");
  }
  auto revision = stack.tags.find(kTagRevision);
  return DeleteAndWait(cfn, clock, sink, stack,
                       revision == stack.tags.end() ? "" : revision->second, wait);
}

base::Result<std::vector<aws::Stack>> ListManagedStacks(aws::CloudFormation& cfn) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> stacks, cfn.DescribeStacks());
  std::vector<aws::Stack> managed;
  for (auto& stack : stacks) {
    if (IsManaged(stack.tags) && stack.status != "DELETE_COMPLETE") managed.push_back(std::move(stack));
  }
  std::sort(managed.begin(), managed.end(),
            [](const aws::Stack& a, const aws::Stack& b) { return a.name < b.name; });
  return managed;
}

base::Result<ReconcileReport> Reconciler::DeleteOwnedStacks(const ReconcileOptions& options,
                                                            const std::string& source,
                                                            const std::string& revision) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<aws::Stack> stacks, cfn_.DescribeStacks());
  ReconcileReport report;
  report.revision = revision;
  report.message = "nothing to delete: no stack deployed from " + source;
  for (const aws::Stack& stack : stacks) {
    if (!IsManaged(stack.tags)) continue;
    auto owner = stack.tags.find(kTagSource);
    if (owner == stack.tags.end() || owner->second != source) continue;
    if (!options.stack_name.empty() && stack.name != options.stack_name) continue;
    if (stack.status == "DELETE_COMPLETE") continue;
    ECSYNC_ASSIGN_OR_RETURN(ReconcileReport deleted, Delete(options, stack, revision));
    if (!deleted.succeeded) return deleted;
    report = deleted;
  }
  return report;
}

}  // namespace ecsync::reconcile
