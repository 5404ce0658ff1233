#include "web/ui_routes.h"

#include <utility>

#include "base/utf8.h"
#include "web/ui_assets.h"

namespace ecsync::web {

namespace {

constexpr char kPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

server::Response File(std::string_view name, const char* content_type) {
  server::Response response = server::Response::Text(200, std::string(*UiFile(name)));
  response.content_type = content_type;
  // Small, and served from memory: revalidating costs nothing and a new binary's files are
  // never mixed with an old page's.
  response.headers.emplace_back("Cache-Control", "no-cache");
  AddSecurityHeaders(response);
  return response;
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : base::SanitizeUtf8(std::string(text))) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0 || (high == 0 && low == 0)) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::optional<std::string> ProjectKeyFromPath(std::string_view path, std::string_view prefix,
                                              std::string_view suffix) {
  if (!path.starts_with(prefix) || !path.ends_with(suffix) ||
      path.size() <= prefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::optional<std::string> key =
      PercentDecode(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
  if (!key || key->empty()) return std::nullopt;
  return key;
}

void AddSecurityHeaders(server::Response& response) {
  response.headers.emplace_back("Content-Security-Policy", kPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

std::optional<server::Response> UiResponse(std::string_view path, const std::string& version) {
  if (path == "/ui/app.js") return File("app.js", "text/javascript; charset=utf-8");
  if (path == "/ui/app.css") return File("app.css", "text/css; charset=utf-8");
  if (path != "/" && !ProjectKeyFromPath(path, "/projects/", "")) return std::nullopt;
  server::Response page = File("index.html", "text/html; charset=utf-8");
  const std::string placeholder = "{{version}}";
  if (size_t at = page.body.find(placeholder); at != std::string::npos) {
    page.body.replace(at, placeholder.size(), HtmlEscape(version));
  }
  return page;
}

std::string StatusEvent(uint64_t version, const std::string& key,
                        const std::optional<nlohmann::ordered_json>& project) {
  nlohmann::ordered_json event = {{"version", version}, {"key", base::SanitizeUtf8(key)}};
  if (project) {
    nlohmann::ordered_json summary = *project;
    summary.erase("lastChanges");
    summary.erase("lastTemplateDiff");
    event["project"] = std::move(summary);
  } else {
    event["project"] = nullptr;
  }
  // dump() escapes newlines inside strings, so the event is one data line.
  return "data: " + event.dump() + "\n\n";
}

std::string RepositoryEvent(uint64_t version, const std::string& name,
                            const std::optional<nlohmann::ordered_json>& repository) {
  nlohmann::ordered_json event = {{"version", version},
                                  {"key", ""},
                                  {"project", nullptr},
                                  {"repository", base::SanitizeUtf8(name)},
                                  {"repositoryStatus", repository.value_or(nullptr)}};
  return "data: " + event.dump() + "\n\n";
}

}  // namespace ecsync::web
