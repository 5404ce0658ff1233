#include "web/peer_auth.h"

#include <charconv>

#include "base/hash.h"
#include "webhook/webhook.h"

namespace ecsync::web {
namespace {

std::string Signature(const std::string& secret, const std::string& method, const std::string& path,
                      const std::string& time, const std::string& body) {
  return "sha256=" + base::HexEncode(base::HmacSha256(
                         secret, method + "\n" + path + "\n" + time + "\n" + body));
}

int64_t UnixSeconds(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> PeerHeaders(
    const std::string& secret, const std::string& method, const std::string& path,
    const std::string& body, std::chrono::system_clock::time_point now) {
  const std::string time = std::to_string(UnixSeconds(now));
  return {{kPeerTimeHeader, time},
          {kPeerSignatureHeader, Signature(secret, method, path, time, body)}};
}

bool VerifyPeerRequest(const server::Request& request, const std::string& secret,
                       std::chrono::system_clock::time_point now) {
  if (secret.empty()) return false;
  const std::string* time = request.Header(kPeerTimeHeader);
  const std::string* signature = request.Header(kPeerSignatureHeader);
  if (time == nullptr || signature == nullptr || time->empty() || time->size() > 20) return false;
  int64_t sent = 0;
  auto [end, error] = std::from_chars(time->data(), time->data() + time->size(), sent);
  if (error != std::errc() || end != time->data() + time->size()) return false;
  const int64_t skew = UnixSeconds(now) - sent;
  if (skew > kPeerWindow.count() || skew < -kPeerWindow.count()) return false;
  return webhook::ConstantTimeEquals(
      *signature, Signature(secret, request.method, request.path, *time, request.body));
}

}  // namespace ecsync::web
