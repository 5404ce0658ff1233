#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/request.h"

namespace ecsync::web {

// HTML-escapes `text` (& < > " ') for element content and quoted attribute values, after
// replacing ill-formed UTF-8 (the pages declare charset=utf-8).
std::string HtmlEscape(std::string_view text);

// Decodes %XX escapes; everything else ('+' included) stays as it is. nullopt for a
// malformed escape or a decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text);

// The project key `path` names as `prefix` + URL-encoded key + `suffix` (the key itself holds
// a '/': "<repository>/<project>", sent as %2F or as is). nullopt when `path` is not of that
// form or the key is empty or malformed.
std::optional<std::string> ProjectKeyFromPath(std::string_view path, std::string_view prefix,
                                              std::string_view suffix);

// The headers every admin answer carries: a Content-Security-Policy that allows only this
// origin's own files (no inline script or style, no framing, no form posts elsewhere),
// X-Content-Type-Options: nosniff and Referrer-Policy: no-referrer.
void AddSecurityHeaders(server::Response& response);

// The UI's answer for GET `path`: the page shell for "/" and "/projects/<key>" (the script
// reads the key from the address), the style sheet and script at "/ui/app.css" and
// "/ui/app.js". nullopt for any other path. The shell holds no data but `version`, escaped.
std::optional<server::Response> UiResponse(std::string_view path, const std::string& version);

// The server-sent event (one "data:" line of JSON) telling browsers that the status store
// changed: {"version", "key", "project"}; key "" and no project for a repository's change,
// and project null for a project that is gone. The project's bulky fields (last changes and
// template diff) are left out: the project page reads them from its details.
std::string StatusEvent(uint64_t version, const std::string& key,
                        const std::optional<nlohmann::ordered_json>& project);

// The event for a repository's change: {"version", "key": "", "project": null, "repository":
// <name>, "repositoryStatus": <its entry of /api/v1/status, null when it is gone>}, so that
// the overview updates its row without fetching the whole list again.
std::string RepositoryEvent(uint64_t version, const std::string& name,
                            const std::optional<nlohmann::ordered_json>& repository);

}  // namespace ecsync::web
