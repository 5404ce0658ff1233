#include "git/signed_object.h"

#include <string_view>

#include "git/libgit2_util.h"

namespace ecsync::git::internal {

namespace {

constexpr std::string_view kPgpBegin = "-----BEGIN PGP SIGNATURE-----";
constexpr std::string_view kSshBegin = "-----BEGIN SSH SIGNATURE-----";

using TagPtr = Owned<git_tag, git_tag_free>;
using OdbPtr = Owned<git_odb, git_odb_free>;
using OdbObjectPtr = Owned<git_odb_object, git_odb_object_free>;

struct BufDisposer {
  git_buf buf = GIT_BUF_INIT;
  ~BufDisposer() { git_buf_dispose(&buf); }
  std::string str() const { return std::string(buf.ptr != nullptr ? buf.ptr : "", buf.size); }
};

base::Result<git_oid> ParseOid(const std::string& sha) {
  git_oid oid;
  if (sha.size() != GIT_OID_HEXSZ || git_oid_fromstr(&oid, sha.c_str()) != 0) {
    return base::Status(base::ErrorKind::kInvalid, "\"" + sha + "\" is not a full commit hash");
  }
  return oid;
}

std::string OidText(const git_oid* oid) {
  char text[GIT_OID_HEXSZ + 1];
  git_oid_tostr(text, sizeof(text), oid);
  return text;
}

// Where the signature a tag's message ends with starts: the last line opening with a
// signature marker (as git looks for it); npos when there is none.
size_t TagSignatureStart(std::string_view raw) {
  size_t found = std::string_view::npos;
  size_t line = 0;
  while (line < raw.size()) {
    const std::string_view rest = raw.substr(line);
    if (rest.starts_with(kPgpBegin) || rest.starts_with(kSshBegin)) found = line;
    const size_t eol = raw.find('\n', line);
    if (eol == std::string_view::npos) break;
    line = eol + 1;
  }
  return found;
}

base::Result<SignedObject> ReadTag(git_repository* repo, const git_oid& oid,
                                   const std::string& ref_name) {
  git_odb* odb_raw = nullptr;
  if (int rc = git_repository_odb(&odb_raw, repo); rc != 0) {
    return GitError(base::ErrorKind::kTransient, "opening the object database", rc);
  }
  OdbPtr odb(odb_raw);
  git_odb_object* object_raw = nullptr;
  if (int rc = git_odb_read(&object_raw, odb.get(), &oid); rc != 0) {
    return GitError(base::ErrorKind::kNotFound, "reading tag " + ref_name, rc);
  }
  OdbObjectPtr object(object_raw);
  const std::string_view raw(static_cast<const char*>(git_odb_object_data(object.get())),
                             git_odb_object_size(object.get()));
  git_tag* tag_raw = nullptr;
  if (int rc = git_tag_lookup(&tag_raw, repo, &oid); rc != 0) {
    return GitError(base::ErrorKind::kNotFound, "reading tag " + ref_name, rc);
  }
  TagPtr tag(tag_raw);
  SignedObject out;
  out.sha = OidText(&oid);
  out.name = "tag " + ref_name;
  if (const git_signature* tagger = git_tag_tagger(tag.get()); tagger != nullptr) {
    out.signer_email = tagger->email != nullptr ? tagger->email : "";
  }
  const size_t start = TagSignatureStart(raw);
  if (start == std::string_view::npos) {
    out.payload = std::string(raw);
  } else {
    out.payload = std::string(raw.substr(0, start));
    out.signature = std::string(raw.substr(start));
  }
  return out;
}

}  // namespace

std::string ShortSha(const std::string& sha) { return sha.substr(0, 12); }

SignatureFormat DetectSignatureFormat(const std::string& signature) {
  if (signature.starts_with(kPgpBegin)) return SignatureFormat::kOpenPgp;
  if (signature.starts_with(kSshBegin)) return SignatureFormat::kSsh;
  return SignatureFormat::kOther;
}

base::Result<SignedObject> ReadSignedCommit(git_repository* repo, const std::string& sha) {
  ECSYNC_ASSIGN_OR_RETURN(const git_oid oid, ParseOid(sha));
  git_commit* commit_raw = nullptr;
  if (int rc = git_commit_lookup(&commit_raw, repo, &oid); rc != 0) {
    return GitError(base::ErrorKind::kNotFound, "commit " + sha, rc);
  }
  CommitPtr commit(commit_raw);
  SignedObject out;
  out.sha = sha;
  out.name = "commit " + ShortSha(sha);
  if (const git_signature* committer = git_commit_committer(commit.get()); committer != nullptr) {
    out.signer_email = committer->email != nullptr ? committer->email : "";
  }
  BufDisposer signature;
  BufDisposer payload;
  // git_oid is not const-correct in this call's signature.
  git_oid lookup = oid;
  const int rc = git_commit_extract_signature(&signature.buf, &payload.buf, repo, &lookup, nullptr);
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return out;  // unsigned
  }
  if (rc != 0) return GitError(base::ErrorKind::kTransient, "reading commit " + sha, rc);
  out.signature = signature.str();
  out.payload = payload.str();
  return out;
}

base::Result<std::vector<SignedObject>> ReadSignedTagsAt(git_repository* repo,
                                                         const std::string& sha) {
  ECSYNC_ASSIGN_OR_RETURN(const git_oid target, ParseOid(sha));
  git_strarray names{};
  if (int rc = git_tag_list(&names, repo); rc != 0) {
    return GitError(base::ErrorKind::kTransient, "listing tags", rc);
  }
  std::vector<std::string> tag_names(names.strings, names.strings + names.count);
  git_strarray_dispose(&names);
  std::vector<SignedObject> tags;
  for (const std::string& tag_name : tag_names) {
    git_object* object_raw = nullptr;
    if (git_revparse_single(&object_raw, repo, ("refs/tags/" + tag_name).c_str()) != 0) {
      git_error_clear();
      continue;
    }
    ObjectPtr object(object_raw);
    if (git_object_type(object.get()) != GIT_OBJECT_TAG) continue;  // lightweight
    git_object* peeled_raw = nullptr;
    if (git_object_peel(&peeled_raw, object.get(), GIT_OBJECT_COMMIT) != 0) {
      git_error_clear();
      continue;
    }
    ObjectPtr peeled(peeled_raw);
    if (git_oid_cmp(git_object_id(peeled.get()), &target) != 0) continue;
    ECSYNC_ASSIGN_OR_RETURN(SignedObject tag,
                            ReadTag(repo, *git_object_id(object.get()), tag_name));
    tags.push_back(std::move(tag));
  }
  return tags;
}

base::Result<std::vector<std::string>> FirstParentChain(git_repository* repo,
                                                        const std::string& head,
                                                        const std::string& previous, size_t limit,
                                                        bool* descends) {
  ECSYNC_ASSIGN_OR_RETURN(const git_oid head_oid, ParseOid(head));
  *descends = false;
  std::vector<std::string> chain = {head};
  if (previous.empty() || previous == head) return chain;
  git_oid previous_oid;
  if (git_oid_fromstr(&previous_oid, previous.c_str()) != 0) return chain;
  const int related = git_graph_descendant_of(repo, &head_oid, &previous_oid);
  if (related != 1) {
    git_error_clear();
    return chain;
  }
  *descends = true;
  chain.clear();
  git_oid current = head_oid;
  while (true) {
    if (git_oid_equal(&current, &previous_oid) != 0) break;
    // A commit the previous one contains was deployed (or verified) with it.
    if (git_graph_descendant_of(repo, &previous_oid, &current) == 1) break;
    if (chain.size() >= limit) {
      return base::Status(base::ErrorKind::kInvalid, "more than " + std::to_string(limit) +
                                                         " commits since " + ShortSha(previous) +
                                                         " to verify");
    }
    chain.push_back(OidText(&current));
    git_commit* commit_raw = nullptr;
    if (int rc = git_commit_lookup(&commit_raw, repo, &current); rc != 0) {
      return GitError(base::ErrorKind::kNotFound, "commit " + OidText(&current), rc);
    }
    CommitPtr commit(commit_raw);
    if (git_commit_parentcount(commit.get()) == 0) break;
    current = *git_commit_parent_id(commit.get(), 0);
  }
  return chain;
}

}  // namespace ecsync::git::internal
