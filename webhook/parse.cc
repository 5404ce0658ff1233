#include "webhook/parse.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "base/utf8.h"

namespace ecsync::webhook::internal {

using nlohmann::json;

std::string Header(const Headers& headers, std::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

const char* Title(Provider provider) {
  switch (provider) {
    case Provider::kGitHub:
      return "GitHub";
    case Provider::kGitLab:
      return "GitLab";
    case Provider::kGitea:
      return "Gitea";
    case Provider::kBitbucket:
      return "Bitbucket";
    case Provider::kGeneric:
      return "generic";
  }
  return "?";
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

int HexValue(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : base::AsciiLower(c) - 'a' + 10;
}

bool IsZeroId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) { return c == '0'; });
}

const json* Find(const json& root, std::initializer_list<const char*> path) {
  const json* node = &root;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string String(const json& root, std::initializer_list<const char*> path) {
  const json* node = Find(root, path);
  return node != nullptr && node->is_string() ? node->get<std::string>() : "";
}

void AddUrl(std::vector<std::string>& urls, std::string url) {
  if (url.empty() || std::find(urls.begin(), urls.end(), url) != urls.end()) return;
  urls.push_back(std::move(url));
}

base::Result<std::string> CommitId(std::string_view id, const std::string& where) {
  if ((id.size() != 40 && id.size() != 64) || !IsHex(id)) {
    return base::InvalidError(where + " is not a commit id (40 or 64 hex digits): '" +
                              base::Utf8Prefix(id, 80) + "'");
  }
  return base::AsciiLower(id);
}

base::Result<std::string> RefName(std::string ref, const std::string& where) {
  if (ref.empty()) return base::InvalidError(where + " is missing or empty");
  for (unsigned char c : ref) {
    if (c <= ' ' || c == 0x7f) {
      return base::InvalidError(where + " is not a valid ref name: '" + base::Utf8Prefix(ref, 200) +
                                "'");
    }
  }
  if (!ref.starts_with("refs/")) ref = "refs/heads/" + ref;
  return ref;
}

base::Result<RefUpdate> Update(const std::string& ref, const std::string& after, bool deleted,
                               const std::string& where) {
  RefUpdate update;
  ECSYNC_ASSIGN_OR_RETURN(update.ref, RefName(ref, where + ": 'ref'"));
  update.deleted = deleted || IsZeroId(after);
  if (!update.deleted) {
    if (after.empty()) return base::InvalidError(where + ": 'after' is missing");
    ECSYNC_ASSIGN_OR_RETURN(update.commit, CommitId(after, where + ": 'after'"));
  }
  return update;
}

bool IsFormEncoded(const Headers& headers) {
  const std::string content_type = base::AsciiLower(Header(headers, "Content-Type"));
  return content_type.starts_with("application/x-www-form-urlencoded");
}

std::optional<std::string> FormValue(std::string_view body, std::string_view name) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(pos, end - pos);
    if (pair.starts_with(name) && pair.size() > name.size() && pair[name.size()] == '=') {
      std::string_view raw = pair.substr(name.size() + 1);
      std::string out;
      out.reserve(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') {
          out.push_back(' ');
        } else if (raw[i] == '%' && i + 2 < raw.size() && IsHex(raw.substr(i + 1, 2))) {
          out.push_back(static_cast<char>(HexValue(raw[i + 1]) << 4 | HexValue(raw[i + 2])));
          i += 2;
        } else {
          out.push_back(raw[i]);
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

base::Result<json> ParseBody(Provider provider, const Headers& headers, std::string_view body,
                             const std::string& where) {
  std::optional<std::string> form_payload;
  if ((provider == Provider::kGitHub || provider == Provider::kGitea) && IsFormEncoded(headers)) {
    form_payload = FormValue(body, "payload");
    if (!form_payload || form_payload->empty()) {
      return base::InvalidError(where + ": form-encoded body has no 'payload' field");
    }
    body = *form_payload;
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return base::InvalidError(where + ": body is not valid JSON");
  if (!parsed.is_object()) return base::InvalidError(where + ": body is not a JSON object");
  return parsed;
}

base::Status NeedUrls(const WebhookEvent& event, const std::string& where, const char* fields) {
  if (!event.clone_urls.empty()) return base::Status::Ok();
  return base::InvalidError(where + ": no repository URL in the payload (expected " +
                            std::string(fields) + ")");
}

}  // namespace ecsync::webhook::internal
