// libFuzzer target: arbitrary bytes as a webhook delivery, the way the internet sends them
// before any signature is checked. The input is "<provider byte><headers>\n\n<body>", one
// "Name: value" header per line. The parsers, the proof check and the repository matching
// must return, never crash or hang, and every error message must be valid UTF-8 that
// nlohmann::json can dump (a message that is not made the answer fail with a 500).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "webhook/clone_url.h"
#include "webhook/webhook.h"

namespace {

using ecsync::webhook::Headers;
using ecsync::webhook::Provider;

constexpr Provider kProviders[] = {Provider::kGitHub, Provider::kGitLab, Provider::kGitea,
                                   Provider::kBitbucket, Provider::kGeneric};
constexpr const char* kConfiguredUrls[] = {"https://github.com/acme/shop.git",
                                           "ssh://git@bitbucket.example.com:7999/acme/shop.git",
                                           "/srv/git/shop"};

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckText(const std::string& text) {
  Check(ecsync::base::IsValidUtf8(text));
  (void)nlohmann::json(text).dump();  // throws (and so fails) on invalid UTF-8
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Provider provider = kProviders[data[0] % 5];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = rest.find("\n\n");
  const bool has_headers = split != std::string_view::npos;
  std::string_view head = has_headers ? rest.substr(0, split) : std::string_view();
  std::string_view body = has_headers ? rest.substr(split + 2) : rest;

  Headers headers;
  while (!head.empty()) {
    size_t end = head.find('\n');
    std::string_view line = head.substr(0, end);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      headers[std::string(line.substr(0, colon))] = std::string(value);
    }
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 1);
  }

  ecsync::webhook::WebhookProof proof(provider, headers, body);
  if (proof.present()) (void)proof.Matches("It's a Secret to Everybody");

  auto event = ecsync::webhook::ParseWebhook(provider, headers, body);
  if (!event.ok()) {
    CheckText(event.status().message());
    return 0;
  }
  Check(event->ping || event->ignored || !event->refs.empty());
  for (const auto& update : event->refs) {
    Check(update.ref.starts_with("refs/"));
    Check(update.deleted || update.commit.empty() || update.commit.size() == 40 ||
          update.commit.size() == 64);
  }
  for (const std::string& url : event->clone_urls) (void)ecsync::webhook::CloneUrlKey(url);
  for (const char* url : kConfiguredUrls) (void)ecsync::webhook::NamesRepository(*event, url);
  CheckText(ecsync::base::Utf8Prefix(body, 80));
  return 0;
}
