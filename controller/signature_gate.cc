#include "controller/signature_gate.h"

#include "base/log.h"
#include "reconcile/stack_tags.h"

namespace ecsync::controller {

base::Result<std::optional<git::Verdict>> CheckRevision(git::GitSource& git,
                                                        const config::RepositoryConfig& repo,
                                                        const std::string& commit,
                                                        const std::string& previous) {
  if (!repo.verify) return std::optional<git::Verdict>();
  auto verdict = git.VerifyRevision(repo.url, commit, previous, *repo.verify);
  if (!verdict.ok()) {
    return base::Status(verdict.status().kind(), "verifying the signature of " +
                                                     reconcile::ShortRevision(commit) + ": " +
                                                     verdict.status().message());
  }
  if (!verdict->ok) return std::optional<git::Verdict>(std::move(*verdict));
  base::Log(base::LogLevel::kInfo, "revision verified",
            {{"repository", repo.name},
             {"revision", commit},
             {"mode", git::VerifyModeName(repo.verify->mode)},
             {"key", verdict->key},
             {"detail", verdict->reason}});
  return std::optional<git::Verdict>();
}

base::Result<std::optional<git::Verdict>> CheckRevisionSince(
    git::GitSource& git, const config::RepositoryConfig& repo, const std::string& commit,
    const std::vector<std::string>& since) {
  if (since.empty()) return CheckRevision(git, repo, commit, "");
  for (const std::string& previous : since) {
    ECSYNC_ASSIGN_OR_RETURN(std::optional<git::Verdict> refusal,
                            CheckRevision(git, repo, commit, previous));
    if (refusal) return refusal;
  }
  return std::optional<git::Verdict>();
}

std::string RefusalReasonText(const git::Verdict& verdict, const std::string& commit) {
  return "signature check refused " + reconcile::ShortRevision(commit) + " (" +
         git::RefusalReasonName(verdict.refusal) + "): " + verdict.reason +
         (verdict.key.empty() ? "; no key found" : "; key found: " + verdict.key) +
         "; the stack stays at its deployed revision until a commit passes verify";
}

void RecordRefusal(const std::string& repository, const std::string& commit,
                   const git::Verdict& verdict, const std::vector<std::string>& project_keys,
                   OutcomeRecorder& recorder, metrics::Metrics* metrics) {
  const std::string reason = RefusalReasonText(verdict, commit);
  const char* word = git::RefusalReasonName(verdict.refusal);
  base::Log(base::LogLevel::kWarn, "revision refused",
            {{"repository", repository},
             {"revision", commit},
             {"refused_object", verdict.commit},
             {"reason", word},
             {"key", verdict.key},
             {"detail", verdict.reason}});
  if (metrics != nullptr) metrics->SignatureRefused(repository, word);
  for (const std::string& key : project_keys) recorder.SignatureRefused(key, commit, reason);
}

}  // namespace ecsync::controller
