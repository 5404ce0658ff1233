#include "reconcile/prune.h"

#include "reconcile/stack_tags.h"

namespace ecsync::reconcile {

namespace {

// Reports `stack` as kept with `message`, and says so.
void Keep(const ProgressSink& sink, const std::string& stack, std::string message,
          PruneReport* report) {
  Say(sink, stack, message);
  report->kept.push_back({stack, std::move(message)});
}

}  // namespace

std::vector<aws::Stack> PruneCandidates(const std::vector<aws::Stack>& managed,
                                        const PruneOptions& options) {
  // SourceId values start with "<url>#", also when shortened for the tag limit, as long as
  // the URL leaves room for it (under 239 characters). A longer URL's shortened sources hide
  // which repository they came from (another URL may share the visible part): they never
  // match, so such stacks are left alone rather than risk deleting another repository's.
  const std::string prefix = options.repo_url + "#";
  std::vector<aws::Stack> candidates;
  for (const aws::Stack& stack : managed) {
    if (!IsManaged(stack.tags)) continue;
    if (!stack.parent_id.empty()) continue;  // goes with its root stack, never alone
    const std::string source = TagValue(stack.tags, kTagSource);
    if (!source.starts_with(prefix)) continue;
    if (options.desired_sources.contains(source)) continue;
    candidates.push_back(stack);
  }
  return candidates;
}

base::Result<PruneReport> Prune(aws::CloudFormation& cfn, base::Clock& clock,
                                const ProgressSink& sink, const std::vector<aws::Stack>& managed,
                                const PruneOptions& options) {
  std::vector<aws::Stack> candidates = PruneCandidates(managed, options);
  PruneReport report;
  if (candidates.empty()) return report;
  if (options.desired_sources.empty() && !options.allow_delete_all) {
    std::string names;
    for (const aws::Stack& stack : candidates) names += (names.empty() ? "" : ", ") + stack.name;
    return base::ConflictError(
        "revision " + options.revision.substr(0, 12) + " of " + options.repo_url +
        " deploys no project, which would delete every stack of the repository (" + names +
        "); nothing was deleted. If that is intended, set allow_prune_all: true for the "
        "repository");
  }
  for (const aws::Stack& stack : candidates) {
    if (std::optional<std::string> why = options.keep ? options.keep(stack) : std::nullopt) {
      Keep(sink, stack.name, "stack " + stack.name + " was kept: " + *why, &report);
      continue;
    }
    if (stack.termination_protection) {
      Keep(sink, stack.name,
           "stack " + stack.name +
               " is no longer in git but has termination protection on; ecsync does not turn it "
               "off: disable it to let the stack be pruned",
           &report);
      continue;
    }
    Say(sink, stack.name,
        "pruning stack " + stack.name + ": its project is gone from " + options.repo_url +
            " at revision " + options.revision.substr(0, 12));
    base::Result<ReconcileReport> deleted =
        DeleteAndWait(cfn, clock, sink, stack, options.revision, options.wait);
    if (!deleted.ok() && deleted.status().kind() == base::ErrorKind::kConflict) {
      // CloudFormation refused this stack alone (termination protection turned on since the
      // listing, or an operation under way): the other candidates can still go, and the
      // caller takes kConflict for the all-stacks refusal, which is not retried.
      Keep(sink, stack.name,
           "stack " + stack.name +
               " is no longer in git but CloudFormation refused to delete it: " +
               deleted.status().message(),
           &report);
      continue;
    }
    if (!deleted.ok()) return deleted.status();
    report.deleted.push_back(std::move(deleted).value());
  }
  return report;
}

}  // namespace ecsync::reconcile
