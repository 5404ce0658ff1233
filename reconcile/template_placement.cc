#include "reconcile/template_placement.h"

#include <vector>

#include "base/hash.h"
#include "cfn/json.h"

namespace ecsync::reconcile {

namespace {

base::Result<cfn::Json> Parse(const std::string& template_body) {
  cfn::Json tmpl = cfn::Json::parse(template_body, nullptr, /*allow_exceptions=*/false);
  if (tmpl.is_discarded() || !tmpl.is_object()) {
    return base::InternalError("the rendered template is not a JSON object");
  }
  return tmpl;
}

bool WithinStackLimits(const cfn::Json& tmpl, const std::string& body,
                       const cfn::StackLimits& limits) {
  auto resources = tmpl.find("Resources");
  const size_t count = resources != tmpl.end() && resources->is_object() ? resources->size() : 0;
  return count <= limits.max_resources && body.size() <= limits.max_template_bytes;
}

// The refusal for a template that needs the bucket when none is configured.
base::Status NoBucket(const std::string& stack, const cfn::Json& tmpl,
                      const cfn::StackLimits& limits) {
  base::Status refused = cfn::CheckTemplateBucket(stack, tmpl, /*bucket_configured=*/false, limits);
  if (!refused.ok()) return refused;
  return base::InvalidError("stack " + stack +
                            ": the template needs an S3 bucket; set aws.template_bucket in the "
                            "config file (or --template-bucket)");
}

std::string S3Uri(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + "/" + key;
}

}  // namespace

std::string TemplateKey(const std::string& prefix, const std::string& stack,
                        const std::string& template_body) {
  return prefix + stack + "/" + base::Sha256Hex(template_body) + ".json";
}

std::string NestedTemplateKey(const std::string& prefix, const std::string& stack,
                              const std::string& template_body) {
  return prefix + stack + "/nested/" + base::Sha256Hex(template_body) + ".json";
}

base::Status TemplatePlacer::Upload(const std::string& bucket, const std::string& key,
                                    const std::string& body, const std::string& what,
                                    const std::string& content_type) {
  const std::string uri = S3Uri(bucket, key);
  if (uploaded_.contains(uri)) return base::Status::Ok();
  auto put = s3_->PutObject(bucket, key, body, content_type);
  if (!put.ok()) {
    return put.status().WithContext("uploading " + what + " (" + std::to_string(body.size()) +
                                    " bytes) to " + uri);
  }
  uploaded_.insert(uri);
  return base::Status::Ok();
}

base::Status TemplatePlacer::PlaceFileBundles(const std::string& bucket,
                                              const std::vector<FileBundle>& bundles) {
  for (const FileBundle& bundle : bundles) {
    const std::string uri = S3Uri(bucket, bundle.key);
    if (s3_ == nullptr || uploaded_.contains(uri)) continue;
    auto exists = s3_->ObjectExists(bucket, bundle.key);
    if (!exists.ok()) return exists.status().WithContext("looking for " + uri);
    if (*exists) {
      uploaded_.insert(uri);
      continue;
    }
    ECSYNC_RETURN_IF_ERROR(
        Upload(bucket, bundle.key, bundle.archive, "a file bundle", "application/x-tar"));
  }
  return base::Status::Ok();
}

base::Result<PlacedTemplate> TemplatePlacer::Place(const TemplateBucket& where,
                                                   const std::string& stack,
                                                   const std::string& template_body,
                                                   const cfn::StackLimits& limits) {
  PlacedTemplate placed;
  if (s3_ == nullptr) {  // stack files: no limits
    placed.body = placed.stack_template = template_body;
    return placed;
  }
  ECSYNC_ASSIGN_OR_RETURN(cfn::Json tmpl, Parse(template_body));
  std::string parent = template_body;
  if (!WithinStackLimits(tmpl, template_body, limits)) {
    if (where.bucket.empty()) {
      return NoBucket(stack, tmpl, limits);
    }
    struct Child {
      std::string key;
      std::string body;
    };
    std::vector<Child> children;
    auto split = cfn::SplitIntoNestedStacks(
        tmpl,
        [&](size_t /*number*/, const std::string& body) {
          children.push_back({NestedTemplateKey(where.prefix, stack, body), body});
          return s3_->TemplateUrl(where.bucket, children.back().key);
        },
        limits);
    if (!split.ok()) return split.status().WithContext("splitting the template of stack " + stack);
    for (size_t i = 0; i < children.size(); ++i) {
      ECSYNC_RETURN_IF_ERROR(Upload(where.bucket, children[i].key, children[i].body,
                                    "nested stack template " + std::to_string(i + 1) + " of " +
                                        std::to_string(children.size()) + " of stack " + stack));
    }
    const cfn::TemplateFigures figures = cfn::MeasureTemplate(tmpl);
    placed.nested_stacks = children.size();
    parent = split->parent.dump();
    Say(sink_, stack,
        "template has " + std::to_string(figures.resources) + " resources and " +
            std::to_string(figures.bytes) + " bytes, over one stack's limits; split into " +
            std::to_string(children.size()) + " nested stacks under " +
            S3Uri(where.bucket, where.prefix + stack + "/nested/"));
  }
  placed.stack_template = parent;
  if (parent.size() <= limits.max_inline_bytes) {
    placed.body = std::move(parent);
    return placed;
  }
  if (where.bucket.empty()) {
    return NoBucket(stack, tmpl, limits);
  }
  const std::string key = TemplateKey(where.prefix, stack, parent);
  ECSYNC_RETURN_IF_ERROR(Upload(where.bucket, key, parent, "the template of stack " + stack));
  Say(sink_, stack,
      "template is " + std::to_string(parent.size()) + " bytes; passing it as " +
          S3Uri(where.bucket, key));
  placed.url = s3_->TemplateUrl(where.bucket, key);
  return placed;
}

base::Result<size_t> TemplatePlacer::CountNestedStacks(const TemplateBucket& where,
                                                       const std::string& stack,
                                                       const std::string& template_body,
                                                       const cfn::StackLimits& limits) const {
  if (s3_ == nullptr) return size_t{0};
  ECSYNC_ASSIGN_OR_RETURN(cfn::Json tmpl, Parse(template_body));
  if (WithinStackLimits(tmpl, template_body, limits)) return size_t{0};
  auto split = cfn::SplitIntoNestedStacks(
      tmpl,
      [&](size_t, const std::string& body) {
        return s3_->TemplateUrl(where.bucket, NestedTemplateKey(where.prefix, stack, body));
      },
      limits);
  if (!split.ok()) return split.status();
  return split->children.size();
}

}  // namespace ecsync::reconcile
