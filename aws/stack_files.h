#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "aws/cloudformation.h"
#include "aws/stack_files_state.h"
#include "aws/stack_files_template.h"
#include "base/clock.h"
#include "base/result.h"

namespace ecsync::aws {

// CloudFormation kept as files in a folder: the target ecsync uses when it has no AWS
// endpoint, so plan, reconcile, ls and down work offline and in CI review jobs. The user
// guide is docs/stack-files.md.
//
// For stack S the folder holds S.template.json (JSON templates, pretty-printed; a YAML
// template is kept verbatim as S.template.yaml) and S.state.json (status, tags,
// parameters with NoEcho values masked as "****", capabilities, outputs, resources,
// events newest first, change sets, the last drift detection, honoured request tokens).
// A deleted stack's state moves to .deleted/S-<uuid>.state.json, so it stays readable by
// its id (DELETE_COMPLETE) but not by its name, as in CloudFormation.
//
// Every operation completes before it returns: a create ends CREATE_COMPLETE, an update
// UPDATE_COMPLETE, a delete removes the files. Otherwise calls answer as CloudFormation
// does through the interface: same statuses, same error kinds, CloudFormation's messages.
// Template URLs are refused (kInvalid): there is no S3 offline.
//
// Files are replaced atomically (temporary file, fsync, rename), so a crash leaves the old
// or the new version, never a torn one; stray temporary files (hidden, ".S.state.json.tmp-*")
// are ignored. A state file that cannot be read is kInternal, naming the file.
//
// Thread-safe: one mutex serializes the calls of this object. Two processes writing the
// same folder at once are not coordinated (the last write of a stack wins).
class StackFiles final : public CloudFormation {
 public:
  // `dir` is created on the first write. `clock` stamps events and must outlive this.
  StackFiles(std::string dir, base::Clock& clock);

  const std::string& dir() const { return dir_; }

  base::Result<Stack> DescribeStack(const std::string& name) override;
  base::Result<std::vector<Stack>> DescribeStacks() override;  // sorted by name
  base::Result<std::string> CreateStack(const CreateStackRequest& request) override;
  base::Status UpdateStack(const UpdateStackRequest& request) override;
  // Deleting a stack that does not exist succeeds, as in CloudFormation. kConflict when
  // termination protection is on.
  base::Status DeleteStack(const std::string& name,
                           const std::string& client_request_token) override;
  base::Result<std::vector<StackEvent>> DescribeStackEvents(const std::string& name) override;

  base::Result<std::string> CreateChangeSet(const CreateChangeSetRequest& request) override;
  base::Result<ChangeSet> DescribeChangeSet(const std::string& change_set,
                                            const std::string& stack_name) override;
  // The executed change set stays EXECUTE_COMPLETE; the stack's other change sets become
  // OBSOLETE, as they do after any update.
  base::Status ExecuteChangeSet(const std::string& change_set, const std::string& stack_name,
                                const std::string& client_request_token) override;
  base::Status DeleteChangeSet(const std::string& change_set,
                               const std::string& stack_name) override;
  // Only for a stack put in UPDATE_ROLLBACK_FAILED by hand; stacks here never end there.
  base::Status ContinueUpdateRollback(const std::string& name,
                                      const std::vector<std::string>& resources_to_skip,
                                      const std::string& client_request_token) override;
  // Only for a stack put in UPDATE_IN_PROGRESS by hand; stacks here never sit there.
  base::Status CancelUpdateStack(const std::string& name,
                                 const std::string& client_request_token) override;
  // Physical ids are "<stack>-<LogicalId>".
  base::Result<std::vector<StackResource>> DescribeStackResources(const std::string& name) override;
  base::Result<std::string> GetTemplate(const std::string& name) override;
  base::Result<TemplateValidation> ValidateTemplate(const std::string& body_or_url) override;
  // Nothing can drift offline: a detection completes at once, IN_SYNC. Only the last
  // detection of each stack is kept.
  base::Result<std::string> DetectStackDrift(const std::string& name) override;
  base::Result<DriftDetection> DescribeStackDriftDetectionStatus(
      const std::string& detection_id) override;
  base::Result<std::vector<ResourceDrift>> DescribeStackResourceDrifts(
      const std::string& name) override;
  base::Status UpdateTerminationProtection(const std::string& name, bool enable) override;

 private:
  // A template with everything a create or update needs, checked.
  struct Desired {
    ParsedTemplate parsed;
    std::string body;  // as stored
    std::vector<ResolvedParameter> parameters;
    std::map<std::string, std::string> tags;
    std::vector<std::string> capabilities;
  };

  std::string StatePath(const std::string& name) const;
  std::string TemplatePath(const std::string& name, const std::string& format) const;
  std::string DeletedPath(const std::string& name, const std::string& uuid) const;
  std::string NewUuid();

  base::Result<std::optional<StackRecord>> LoadFile(const std::string& path,
                                                    const std::string& name);
  // The live stack named `name`, or nullopt.
  base::Result<std::optional<StackRecord>> LoadLive(const std::string& name);
  // A stack by name (live only) or by id (live, or deleted when `include_deleted`).
  // kNotFound "Stack with id X does not exist" otherwise.
  base::Result<StackRecord> Find(const std::string& name_or_id, bool include_deleted);
  base::Result<std::vector<StackRecord>> LoadAllLive();
  // The body of `record`'s template file; kInternal when it is missing.
  // REQUIRES: record.template_format is set.
  base::Result<std::string> ReadTemplate(const StackRecord& record);
  // The parsed template of `record`, nullopt when it has none yet (REVIEW_IN_PROGRESS).
  base::Result<std::optional<ParsedTemplate>> LoadTemplate(const StackRecord& record);
  // What to tell the user about a damaged file of `record`: restore it or forget the stack.
  std::string ForgetAdvice(const StackRecord& record) const;
  base::Status Save(const StackRecord& record);

  base::Result<Desired> Check(const std::string& template_body, const std::string& template_url,
                              const std::vector<Parameter>& parameters,
                              const std::map<std::string, std::string>& tags,
                              const std::vector<std::string>& capabilities);
  // Keys of `desired`'s parameters whose value differs from `record`'s. A NoEcho value
  // counts as changed unless this process saw the same value applied.
  std::vector<std::string> ChangedParameters(const StackRecord& record,
                                             const Desired& desired) const;
  // True when `desired` changes nothing in `record` (template, parameters or tags).
  bool Unchanged(const StackRecord& record, const std::optional<ParsedTemplate>& current,
                 const Desired& desired) const;
  // Applies `desired` to `record` as a create (from REVIEW_IN_PROGRESS or nothing) or an
  // update, with CloudFormation's events, and writes the template and state files.
  base::Status Apply(StackRecord* record, const Desired& desired, bool create);
  void AddEvent(StackRecord* record, const std::string& logical_id, const std::string& type,
                const std::string& status, const std::string& reason);
  // Remembers (in memory only) digests of the NoEcho values behind `owner_id` (a stack or
  // change set), so an unchanged secret is not an update.
  void RememberSecrets(const std::string& owner_id,
                       const std::vector<ResolvedParameter>& parameters);

  // The change set named `change_set` (with `stack_name`) or with that id.
  struct FoundChangeSet {
    StackRecord record;
    size_t index = 0;
  };
  base::Result<FoundChangeSet> FindChangeSet(const std::string& change_set,
                                             const std::string& stack_name);

  const std::string dir_;
  base::Clock& clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // guarded by mu_
  // owner id -> parameter key -> SHA-256 of the NoEcho value; guarded by mu_.
  std::map<std::string, std::map<std::string, std::string>> secret_digests_;
};

}  // namespace ecsync::aws
