// Applying a repository's `verify:` policy: which objects must be signed (head, tag, strict)
// and whether their signer is allowed (keys, committers).
#include "git/signature.h"

#include <fnmatch.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "base/strings.h"
#include "git/gpg_verify.h"
#include "git/libgit2_util.h"
#include "git/signed_object.h"
#include "git/ssh_verify.h"

namespace ecsync::git {

namespace {

using internal::SignatureCheck;
using internal::SignedObject;

// Commits strict mode checks in one verification; more is refused rather than walked.
constexpr size_t kMaxStrictCommits = 1000;

bool EmailAllowed(const std::vector<std::string>& patterns, const std::string& email) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    return fnmatch(pattern.c_str(), email.c_str(), FNM_CASEFOLD) == 0;
  });
}

Verdict Refuse(const SignedObject& object, RefusalReason reason, const std::string& why,
               const std::string& key) {
  Verdict verdict;
  verdict.refusal = reason;
  verdict.reason = object.name + " " + why;
  verdict.key = key;
  verdict.commit = object.sha;
  return verdict;
}

// Checks one commit or tag against the policy; keeps one GnuPG home for all of them.
class Checker {
 public:
  explicit Checker(const SignaturePolicy& policy) : policy_(policy) {}

  Verdict Check(const SignedObject& object) {
    if (object.signature.empty()) {
      return Refuse(object, RefusalReason::kUnsigned, "is not signed", "");
    }
    const bool restrict_committer = !policy_.committers.empty();
    if (restrict_committer && !EmailAllowed(policy_.committers, object.signer_email)) {
      return Refuse(object, RefusalReason::kCommitter,
                    "has committer " + object.signer_email + ", who is not in verify.committers",
                    "");
    }
    SignatureCheck check;
    switch (internal::DetectSignatureFormat(object.signature)) {
      case internal::SignatureFormat::kOpenPgp:
        check = CheckOpenPgp(object);
        break;
      case internal::SignatureFormat::kSsh:
        if (policy_.allowed_signers.empty()) {
          return Refuse(object, RefusalReason::kUnknownKey,
                        "has an SSH signature, but verify has no allowed_signers", "");
        }
        check =
            internal::VerifySshSignature(policy_.allowed_signers, object.payload, object.signature,
                                         restrict_committer ? object.signer_email : "");
        break;
      case internal::SignatureFormat::kOther:
        return Refuse(object, RefusalReason::kBadSignature,
                      "has a signature that is neither OpenPGP nor SSH (X.509?)", "");
    }
    if (check.refusal != RefusalReason::kNone) {
      return Refuse(object, check.refusal, "is refused: " + check.detail, check.key);
    }
    if (!check.fingerprints.empty() && !policy_.keys.empty() &&
        std::none_of(
            check.fingerprints.begin(), check.fingerprints.end(), [&](const std::string& fpr) {
              return std::find(policy_.keys.begin(), policy_.keys.end(), fpr) != policy_.keys.end();
            })) {
      return Refuse(object, RefusalReason::kKeyNotAllowed,
                    "is signed by key " + check.key + ", which is not in verify.keys", check.key);
    }
    if (restrict_committer &&
        std::none_of(check.identities.begin(), check.identities.end(), [&](const std::string& id) {
          return base::EqualsIgnoreAsciiCase(id, object.signer_email);
        })) {
      return Refuse(object, RefusalReason::kCommitter,
                    "is signed by key " + check.key + ", which does not belong to the committer " +
                        object.signer_email,
                    check.key);
    }
    Verdict verdict;
    verdict.ok = true;
    verdict.key = check.key;
    verdict.commit = object.sha;
    verdict.reason = object.name + " is signed by key " + check.key;
    return verdict;
  }

 private:
  SignatureCheck CheckOpenPgp(const SignedObject& object) {
    if (policy_.keyring.empty()) {
      return internal::Refused(RefusalReason::kUnknownKey,
                               "it has an OpenPGP signature, but verify has no keyring");
    }
    if (gpg_ == nullptr) {
      auto opened = internal::GpgVerifier::Open(policy_.keyring);
      if (!opened.ok()) return internal::Refused(RefusalReason::kError, opened.status().message());
      gpg_ = std::move(*opened);
    }
    return gpg_->Verify(object.payload, object.signature);
  }

  const SignaturePolicy& policy_;
  std::unique_ptr<internal::GpgVerifier> gpg_;
};

base::Result<Verdict> VerifyTag(git_repository* repo, const std::string& commit, Checker& checker) {
  ECSYNC_ASSIGN_OR_RETURN(std::vector<SignedObject> tags, internal::ReadSignedTagsAt(repo, commit));
  Verdict last;
  last.refusal = RefusalReason::kUnsigned;
  last.commit = commit;
  last.reason =
      "commit " + internal::ShortSha(commit) + " has no annotated tag, and verify.mode is tag";
  for (const SignedObject& tag : tags) {
    Verdict verdict = checker.Check(tag);
    if (verdict.ok) {
      verdict.commit = commit;
      verdict.reason = "commit " + internal::ShortSha(commit) + " is pointed at by " + tag.name +
                       ", signed by key " + verdict.key;
      return verdict;
    }
    last = std::move(verdict);
    last.commit = commit;
    last.reason = "commit " + internal::ShortSha(commit) +
                  ": no tag is signed by an allowed key; " + last.reason;
  }
  return last;
}

base::Result<Verdict> VerifyStrict(git_repository* repo, const std::string& commit,
                                   const std::string& previous, Checker& checker) {
  bool descends = false;
  auto chain = internal::FirstParentChain(repo, commit, previous, kMaxStrictCommits, &descends);
  if (!chain.ok()) {
    Verdict verdict;
    verdict.refusal = RefusalReason::kError;
    verdict.commit = commit;
    verdict.reason = chain.status().message();
    return verdict;
  }
  // Newest first: the head's verdict (its key, its commit) is the one reported.
  std::optional<Verdict> head;
  for (const std::string& sha : *chain) {
    ECSYNC_ASSIGN_OR_RETURN(const SignedObject object, internal::ReadSignedCommit(repo, sha));
    Verdict verdict = checker.Check(object);
    if (!verdict.ok) return verdict;
    if (!head) head = std::move(verdict);
  }
  if (!head) {
    // Nothing new since the previous commit (it contains the head): the head is checked.
    ECSYNC_ASSIGN_OR_RETURN(const SignedObject object, internal::ReadSignedCommit(repo, commit));
    head = checker.Check(object);
    if (!head->ok) return *head;
  }
  Verdict verdict = std::move(*head);
  if (!previous.empty() && previous != commit && !descends) {
    verdict.reason += "; the previous commit " + internal::ShortSha(previous) +
                      " is not an ancestor, so only the head was verified";
  } else if (chain->size() > 1) {
    verdict.reason += "; every one of the " + std::to_string(chain->size()) +
                      " first-parent commits since " + internal::ShortSha(previous) + " is signed";
  }
  return verdict;
}

}  // namespace

const char* VerifyModeName(VerifyMode mode) {
  switch (mode) {
    case VerifyMode::kHead:
      return "head";
    case VerifyMode::kTag:
      return "tag";
    case VerifyMode::kStrict:
      return "strict";
  }
  return "head";
}

const char* RefusalReasonName(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kNone:
      return "none";
    case RefusalReason::kUnsigned:
      return "unsigned";
    case RefusalReason::kBadSignature:
      return "bad_signature";
    case RefusalReason::kUnknownKey:
      return "unknown_key";
    case RefusalReason::kExpiredKey:
      return "expired_key";
    case RefusalReason::kRevokedKey:
      return "revoked_key";
    case RefusalReason::kKeyNotAllowed:
      return "key_not_allowed";
    case RefusalReason::kCommitter:
      return "committer";
    case RefusalReason::kError:
      return "error";
  }
  return "error";
}

base::Result<Verdict> VerifyRevisionInRepository(const std::string& repository_path,
                                                 const std::string& commit,
                                                 const std::string& previous,
                                                 const SignaturePolicy& policy) {
  internal::EnsureLibGit2Initialized();
  git_repository* raw = nullptr;
  if (int rc = git_repository_open(&raw, repository_path.c_str()); rc != 0) {
    return internal::GitError(base::ErrorKind::kTransient, "opening " + repository_path, rc);
  }
  internal::RepositoryPtr repo(raw);
  Checker checker(policy);
  switch (policy.mode) {
    case VerifyMode::kHead: {
      ECSYNC_ASSIGN_OR_RETURN(const SignedObject object,
                              internal::ReadSignedCommit(repo.get(), commit));
      return checker.Check(object);
    }
    case VerifyMode::kTag:
      return VerifyTag(repo.get(), commit, checker);
    case VerifyMode::kStrict:
      return VerifyStrict(repo.get(), commit, previous, checker);
  }
  return base::Status(base::ErrorKind::kInternal, "unknown verify mode");
}

}  // namespace ecsync::git
