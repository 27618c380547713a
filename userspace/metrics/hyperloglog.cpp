#include "metrics/hyperloglog.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace redeye {

namespace {

// sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for 0 <= x < 1 (Ertl 2017): the contribution of
// the registers still at 0.
double sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous = 0.0;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

// tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for 0 <= x <= 1: the contribution
// of the registers at their maximum.
double tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous = 0.0;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

}  // namespace

HyperLogLog::HyperLogLog(unsigned precision) : precision_(precision) {
  if (precision < 4 || precision > 18) throw std::invalid_argument("HyperLogLog: precision 4..18");
  registers_.assign(std::size_t{1} << precision, 0);
}

void HyperLogLog::add(uint64_t hash) {
  const std::size_t index = static_cast<std::size_t>(hash >> (64 - precision_));
  const uint64_t rest = hash << precision_;  // the q = 64 - p bits left, at the top
  const unsigned q = 64 - precision_;
  const unsigned rank = rest == 0 ? q + 1 : static_cast<unsigned>(std::countl_zero(rest)) + 1;
  const auto value = static_cast<uint8_t>(std::min(rank, q + 1));
  if (value > registers_[index]) registers_[index] = value;
}

double HyperLogLog::estimate() const {
  const unsigned q = 64 - precision_;
  std::array<uint32_t, 66> histogram{};  // register value -> how many registers hold it
  for (uint8_t r : registers_) ++histogram[r];
  const double m = static_cast<double>(registers_.size());
  double z = m * tau(1.0 - histogram[q + 1] / m);
  for (unsigned k = q; k >= 1; --k) z = 0.5 * (z + histogram[k]);
  z += m * sigma(histogram[0] / m);
  if (std::isinf(z)) return 0.0;                                   // no item yet
  constexpr double kAlphaInfinity = 0.5 / 0.69314718055994530942;  // 1 / (2 ln 2)
  return kAlphaInfinity * m * m / z;
}

void HyperLogLog::clear() { std::fill(registers_.begin(), registers_.end(), 0); }

double HyperLogLog::relative_standard_error() const {
  return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
}

}  // namespace redeye
