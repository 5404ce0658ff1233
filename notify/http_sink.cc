#include "notify/http_sink.h"

#include "base/utf8.h"
#include "notify/retry_after.h"

namespace ecsync::notify {

namespace {

// How much of an error answer's body a message quotes.
constexpr size_t kQuotedBody = 200;
constexpr std::string_view kRedacted = "<redacted>";

void ReplaceAll(std::string* text, const std::string& secret) {
  if (secret.size() < 2) return;
  for (size_t at = text->find(secret); at != std::string::npos;
       at = text->find(secret, at + kRedacted.size())) {
    text->replace(at, secret.size(), std::string(kRedacted));
  }
}

}  // namespace

HttpSink::HttpSink(const char* type, HttpSinkOptions options, aws::HttpClient& http)
    : name_(std::string(type) + ":" + options.name), options_(std::move(options)), http_(http) {}

std::vector<std::pair<std::string, std::string>> HttpSink::ExtraHeaders(const Event& /*event*/,
                                                                        const std::string&
                                                                        /*body*/) {
  return {};
}

std::string HttpSink::Link(const Event& event) const {
  if (options_.external_url.empty()) return "";
  return options_.external_url + "/projects/" + event.project_key;
}

std::string HttpSink::Redact(std::string text) const {
  const std::string& url = options_.url;
  ReplaceAll(&text, url);
  ReplaceAll(&text, url.substr(0, url.find('?')));
  if (base::Result<aws::ParsedUrl> parsed = aws::ParseUrl(url); parsed.ok()) {
    if (parsed->path != "/") ReplaceAll(&text, parsed->path);
    ReplaceAll(&text, parsed->query);
  }
  return text;
}

base::Status HttpSink::Deliver(const Event& event) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.body = Body(event);
  request.headers = {{"Content-Type", "application/json"}, {"User-Agent", options_.user_agent}};
  for (auto& header : ExtraHeaders(event, request.body)) {
    request.headers.push_back(std::move(header));
  }
  base::Result<aws::HttpResponse> response = http_.Send(request);
  if (!response.ok()) {
    const base::Status& failure = response.status();
    const std::string detail = Redact(failure.message());
    if (failure.kind() == base::ErrorKind::kInvalid) {
      return base::InvalidError(name_ + ": the configured URL cannot be used: " + detail);
    }
    return base::TransientError(name_ + ": no answer: " + detail);
  }
  const int status = response->status;
  if (status >= 200 && status < 300) return base::Status::Ok();
  const std::string code = "HTTP " + std::to_string(status);
  if (status == 429) {
    return ThrottledError(name_ + ": rate limited (" + code + ")",
                          ParseRetryAfter(response->Header("Retry-After")));
  }
  if (status == 408 || status >= 500) {
    return base::TransientError(name_ + ": the endpoint answered " + code);
  }
  std::string message = name_ + ": the endpoint refused the notification (" + code + ")";
  const std::string quoted = OneLine(Redact(response->body), kQuotedBody);
  if (!quoted.empty()) message += ": " + quoted;
  return base::InvalidError(message);
}

std::string EventTitle(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployStarted:
      return "Deploy started";
    case EventKind::kDeploySucceeded:
      return "Deploy succeeded";
    case EventKind::kDeployFailed:
      return "Deploy failed";
    case EventKind::kDeployError:
      return "Deploy error";
    case EventKind::kDriftDetected:
      return "Drift detected";
    case EventKind::kStalled:
      return "Stalled";
    case EventKind::kPruned:
      return "Stack pruned";
    case EventKind::kSignatureRefused:
      return "Signature refused";
    case EventKind::kHeld:
      return "Held by deploy window";
    case EventKind::kApprovalPending:
      return "Approval needed";
    case EventKind::kApproved:
      return "Change approved";
    case EventKind::kRejected:
      return "Change rejected";
    case EventKind::kSuperseded:
      return "Approval superseded";
  }
  return "Event";
}

std::string ShortSha(const std::string& revision) { return revision.substr(0, 7); }

std::string OneLine(const std::string& text, size_t max_bytes) {
  std::string line = text;
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return base::Utf8Prefix(line, max_bytes);
}

}  // namespace ecsync::notify
