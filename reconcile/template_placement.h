#pragma once

// How a rendered template reaches CloudFormation: inline as TemplateBody, through the
// template bucket as TemplateURL, or, over one stack's limits, split into nested stacks
// (cfn/nested.h) whose templates all go through the bucket. See docs/reconcile.md, "Large
// templates".

#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws/s3.h"
#include "base/result.h"
#include "cfn/nested.h"
#include "reconcile/progress.h"

namespace ecsync::reconcile {

// Where templates too large to send inline go.
struct TemplateBucket {
  std::string bucket;  // empty: none configured
  std::string prefix = "ecsync/";
};

// The S3 key a large template is stored under: <prefix><stack>/<sha256 of the body>.json.
// Content-addressed, so uploading the same template again changes nothing.
std::string TemplateKey(const std::string& prefix, const std::string& stack,
                        const std::string& template_body);

// The key of a nested stack's template: <prefix><stack>/nested/<sha256 of the body>.json.
std::string NestedTemplateKey(const std::string& prefix, const std::string& stack,
                              const std::string& template_body);

// A file bundle too large to travel inline in a task definition (cfn/task_files.h).
struct FileBundle {
  std::string key;  // content-addressed: FilesBundleKey
  std::string archive;
};

// What a stack is given.
struct PlacedTemplate {
  std::string body;  // TemplateBody; exactly one of body and url is set
  std::string url;   // TemplateURL
  // The stack's own template as sent (the parent when split), for diffs.
  std::string stack_template;
  size_t nested_stacks = 0;  // children the template was split into; 0: not split
};

// Places templates for one Reconciler. Not thread-safe.
class TemplatePlacer {
 public:
  // `s3` null (stack files, which have no limits): every template goes inline as it is.
  // Otherwise it must outlive this.
  TemplatePlacer(aws::S3* s3, ProgressSink sink) : s3_(s3), sink_(std::move(sink)) {}

  // A template within `limits` is passed as it is, byte for byte: inline up to
  // limits.max_inline_bytes, else uploaded to TemplateKey. One over limits.max_resources or
  // limits.max_template_bytes is split (SplitIntoNestedStacks): each child is uploaded to
  // NestedTemplateKey, and the parent goes inline or to TemplateKey like any template.
  // Objects this placer has uploaded are not uploaded again. kInvalid when a bucket is
  // needed and `where.bucket` is empty (RenderDesired refuses that earlier) or the template
  // cannot be split; S3's kinds for uploads.
  base::Result<PlacedTemplate> Place(const TemplateBucket& where, const std::string& stack,
                                     const std::string& template_body,
                                     const cfn::StackLimits& limits);

  // How many nested stacks `template_body` would be split into (0: none), without uploading
  // anything. For plans.
  base::Result<size_t> CountNestedStacks(const TemplateBucket& where, const std::string& stack,
                                         const std::string& template_body,
                                         const cfn::StackLimits& limits) const;

  // Puts each bundle at s3://bucket/<key> before the stack that fetches it changes, unless
  // this placer put it already or it is there: the key is the archive's SHA-256, so an
  // object there holds these bytes, and unchanged files cost one HeadObject and no upload.
  // S3's kinds for the calls.
  base::Status PlaceFileBundles(const std::string& bucket, const std::vector<FileBundle>& bundles);

  // The objects this placer uploaded, as s3://bucket/key, sorted.
  const std::set<std::string>& uploaded() const { return uploaded_; }

 private:
  // Uploads `body` to s3://bucket/key unless this placer already did.
  base::Status Upload(const std::string& bucket, const std::string& key, const std::string& body,
                      const std::string& what,
                      const std::string& content_type = "application/json");

  aws::S3* s3_;
  ProgressSink sink_;
  std::set<std::string> uploaded_;
};

}  // namespace ecsync::reconcile
