// A transformer's shape, enough to count its parameters, FLOPs and memory.
#pragma once

#include <string>
#include <vector>

#include "models/catalog/source.h"

namespace fleetsim {

// Architecture families differ in what the parameter count includes:
//   gpt:   learned positions, LayerNorm (weight + bias), GELU MLP (2 matrices), biases
//   llama: rotary positions, RMSNorm, SwiGLU MLP (3 matrices), no biases
//   bert:  gpt's layers plus token-type embeddings, an embedding LayerNorm and a pooler
enum class Architecture { kGpt, kLlama, kBert };
const char* ArchitectureName(Architecture a);

struct ModelCard {
  std::string name;
  std::vector<std::string> aliases;
  Architecture architecture = Architecture::kGpt;
  int64_t layers = 0;
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;  // == heads unless GQA / MQA
  int64_t head_dim = 0;  // usually hidden / heads
  int64_t ffn_hidden = 0;
  int64_t vocab = 0;
  int64_t max_context = 0;
  bool tied_embeddings = true;
  double published_params = 0;        // as published, e.g. 6.7e9
  std::string published_params_text;  // as written, e.g. "6.7B": sets its precision
  SourceRef source;
  std::string file;
};

// Parameters implied by the shape (see docs/catalog.md for the formula).
double ParameterCount(const ModelCard& m);

// How close the computed count must be to the published one: 1 %, or half a unit of the
// last digit the publication gives ("1.7B" is only known to +-0.05B), whichever is larger.
double PublishedParamsTolerance(const ModelCard& m);

// Bytes of K and V cached per token over all layers, at `bytes_per_element`.
double KvCacheBytesPerToken(const ModelCard& m, double bytes_per_element);

}  // namespace fleetsim
