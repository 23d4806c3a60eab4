#include "models/catalog/model_card.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace fleetsim {

const char* ArchitectureName(Architecture a) {
  switch (a) {
    case Architecture::kGpt:
      return "gpt";
    case Architecture::kLlama:
      return "llama";
    case Architecture::kBert:
      return "bert";
  }
  return "?";
}

double ParameterCount(const ModelCard& m) {
  const double h = static_cast<double>(m.hidden);
  const double d = static_cast<double>(m.head_dim);
  const double q_width = static_cast<double>(m.heads) * d;
  const double kv_width = static_cast<double>(m.kv_heads) * d;
  const double f = static_cast<double>(m.ffn_hidden);
  const double V = static_cast<double>(m.vocab);
  const double C = static_cast<double>(m.max_context);
  const bool biases = m.architecture != Architecture::kLlama;

  double attention = h * q_width + 2 * h * kv_width + q_width * h;
  if (biases) attention += q_width + 2 * kv_width + h;
  const double mlp = biases ? 2 * h * f + f + h : 3 * h * f;
  const double norms = biases ? 4 * h : 2 * h;
  const double per_layer = attention + mlp + norms;

  double embeddings = V * h;
  if (m.architecture != Architecture::kLlama) embeddings += C * h;
  double extra = 0;
  if (m.architecture == Architecture::kBert) extra += 2 * h + 2 * h + h * h + h;
  double final_norm = 0;
  if (m.architecture == Architecture::kGpt) final_norm = 2 * h;
  if (m.architecture == Architecture::kLlama) final_norm = h;
  const double head = m.tied_embeddings ? 0 : V * h;
  return embeddings + extra + static_cast<double>(m.layers) * per_layer + final_norm + head;
}

double PublishedParamsTolerance(const ModelCard& m) {
  // Digits after the decimal point in the mantissa of e.g. "6.7B", "175B", "340M".
  // Thousands separators carry no precision: "6,053,381,344" is known to the unit.
  std::string t;
  for (char c : m.published_params_text) {
    if (c != ',') t += c;
  }
  const size_t dot = t.find('.');
  int decimals = 0;
  if (dot != std::string::npos) {
    for (size_t i = dot + 1; i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])); ++i) {
      ++decimals;
    }
  }
  // The unit of the suffix: value / mantissa.
  double mantissa = 0;
  try {
    mantissa = std::stod(t.substr(0, t.find_first_not_of("0123456789.,")));
  } catch (...) {
    mantissa = 0;
  }
  double half_unit = 0;
  if (mantissa > 0) {
    const double scale = m.published_params / mantissa;
    half_unit = 0.5 * scale * std::pow(10.0, -decimals);
  }
  return std::max(0.01 * m.published_params, half_unit);
}

double KvCacheBytesPerToken(const ModelCard& m, double bytes_per_element) {
  return 2.0 * static_cast<double>(m.layers) * static_cast<double>(m.kv_heads) *
         static_cast<double>(m.head_dim) * bytes_per_element;
}

}  // namespace fleetsim
