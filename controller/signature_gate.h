#pragma once

// The gate a repository's `verify:` policy puts before a new revision: the poller asks it
// after fetching and before reading anything of the revision, so a refused revision is never
// loaded, converted or applied, and every stack stays at its deployed revision.

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "controller/outcome_recorder.h"
#include "controller/status.h"
#include "git/source.h"
#include "metrics/metrics.h"

namespace ecsync::controller {

// Verifies `commit` of `repo` (fetched through `git`) against repo.verify; `previous` is the
// last revision this controller accepted ("" after a start). nullopt when the revision may be
// taken (no policy, or it passed: logged with the key); the refusal otherwise. An error when
// the check could not run (the repository check then fails and is retried with backoff).
base::Result<std::optional<git::Verdict>> CheckRevision(git::GitSource& git,
                                                        const config::RepositoryConfig& repo,
                                                        const std::string& commit,
                                                        const std::string& previous);

// CheckRevision against each of `since` (the revisions deployed from the repository, for
// strict mode right after a start, when this controller has accepted none yet); the first
// refusal wins. An empty `since` checks as CheckRevision with no previous revision.
base::Result<std::optional<git::Verdict>> CheckRevisionSince(git::GitSource& git,
                                                             const config::RepositoryConfig& repo,
                                                             const std::string& commit,
                                                             const std::vector<std::string>& since);

// The condition's reason for a refusal: the short commit, the reason word, why and the key.
std::string RefusalReasonText(const git::Verdict& verdict, const std::string& commit);

// Shows a refusal of `commit` everywhere: a structured log line,
// ecsync_signature_refusals_total{repository,reason}, and for each of `project_keys` what
// OutcomeRecorder::SignatureRefused records (Stalled, a "refused" run, an event). `metrics`
// may be null.
void RecordRefusal(const std::string& repository, const std::string& commit,
                   const git::Verdict& verdict, const std::vector<std::string>& project_keys,
                   OutcomeRecorder& recorder, metrics::Metrics* metrics);

}  // namespace ecsync::controller
