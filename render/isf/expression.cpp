// Pass-size expressions ("floor($WIDTH/3.0)"): a recursive-descent parser into a small tree,
// bounded in length and depth so that no text can exhaust the stack.
#include "render/isf/isf.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "render/isf/detail/glsl_scan.hpp"

namespace tessera::render::isf {

namespace {

constexpr std::size_t kMaxTextBytes = 1024;
constexpr int kMaxDepth = 64;

double finiteOrZero(double v) {
  return std::isfinite(v) ? v : 0.0;
}

struct Function {
  std::string_view name;
  int arity;
  double (*apply)(double, double);
};

constexpr Function kFunctions[] = {
    {"floor", 1, [](double a, double) { return std::floor(a); }},
    {"ceil", 1, [](double a, double) { return std::ceil(a); }},
    {"round", 1, [](double a, double) { return std::round(a); }},
    {"abs", 1, [](double a, double) { return std::abs(a); }},
    {"sqrt", 1, [](double a, double) { return a < 0 ? 0.0 : std::sqrt(a); }},
    {"max", 2, [](double a, double b) { return std::max(a, b); }},
    {"min", 2, [](double a, double b) { return std::min(a, b); }},
    {"pow", 2, [](double a, double b) { return std::pow(a, b); }},
};

}  // namespace

struct Expression::Node {
  enum class Kind { kNumber, kName, kNegate, kAdd, kSubtract, kMultiply, kDivide, kCall };
  Kind kind = Kind::kNumber;
  double number = 0;
  std::string name;                    // kName: the name given to `lookup`
  const Function* function = nullptr;  // kCall
  std::shared_ptr<const Node> a, b;    // operands / arguments

  double evaluate(const std::function<double(std::string_view)>& lookup) const {
    switch (kind) {
      case Kind::kNumber:
        return number;
      case Kind::kName:
        return lookup ? finiteOrZero(lookup(name)) : 0.0;
      case Kind::kNegate:
        return -a->evaluate(lookup);
      case Kind::kAdd:
        return finiteOrZero(a->evaluate(lookup) + b->evaluate(lookup));
      case Kind::kSubtract:
        return finiteOrZero(a->evaluate(lookup) - b->evaluate(lookup));
      case Kind::kMultiply:
        return finiteOrZero(a->evaluate(lookup) * b->evaluate(lookup));
      case Kind::kDivide: {
        const double d = b->evaluate(lookup);
        return d == 0 ? 0.0 : finiteOrZero(a->evaluate(lookup) / d);
      }
      case Kind::kCall:
        return finiteOrZero(function->apply(a->evaluate(lookup), b ? b->evaluate(lookup) : 0.0));
    }
    return 0.0;
  }
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

class Parser {
 public:
  Parser(std::string_view text, const std::vector<std::string>& known)
      : mText(text), mKnown(known) {}

  NodePtr parseAll() {
    NodePtr root = parseSum();
    skipSpace();
    if (root && mPos < mText.size()) return fail(fmt::format("unexpected \"{}\"", mText[mPos]));
    return root;
  }
  const std::string& error() const { return mError; }

 private:
  NodePtr fail(std::string_view what, std::string_view hint = {}) {
    if (mError.empty()) mError = fmt::format("{} at column {}{}", what, mPos + 1, hint);
    return nullptr;
  }
  void skipSpace() {
    while (mPos < mText.size() && (detail::isBlank(mText[mPos]) || mText[mPos] == '\n')) ++mPos;
  }
  bool accept(char c) {
    skipSpace();
    if (mPos < mText.size() && mText[mPos] == c) {
      ++mPos;
      return true;
    }
    return false;
  }
  static NodePtr binary(Node::Kind kind, NodePtr a, NodePtr b) {
    auto node = std::make_shared<Node>();
    node->kind = kind;
    node->a = std::move(a);
    node->b = std::move(b);
    return node;
  }

  // Every level of nesting (parentheses, call arguments, unary signs) passes parseUnary().
  struct DepthGuard {
    explicit DepthGuard(int& depth) : mDepth(depth) { ++mDepth; }
    ~DepthGuard() { --mDepth; }
    int& mDepth;
  };

  NodePtr parseSum() {
    NodePtr left = parseProduct();
    while (left) {
      if (accept('+')) {
        NodePtr right = parseProduct();
        if (!right) return nullptr;
        left = binary(Node::Kind::kAdd, left, right);
      } else if (accept('-')) {
        NodePtr right = parseProduct();
        if (!right) return nullptr;
        left = binary(Node::Kind::kSubtract, left, right);
      } else {
        break;
      }
    }
    return left;
  }

  NodePtr parseProduct() {
    NodePtr left = parseUnary();
    while (left) {
      if (accept('*')) {
        NodePtr right = parseUnary();
        if (!right) return nullptr;
        left = binary(Node::Kind::kMultiply, left, right);
      } else if (accept('/')) {
        NodePtr right = parseUnary();
        if (!right) return nullptr;
        left = binary(Node::Kind::kDivide, left, right);
      } else {
        break;
      }
    }
    return left;
  }

  NodePtr parseUnary() {
    DepthGuard guard(mDepth);
    if (mDepth > kMaxDepth) return fail("expression nested too deeply");
    if (accept('+')) return parseUnary();
    if (accept('-')) {
      NodePtr operand = parseUnary();
      if (!operand) return nullptr;
      return binary(Node::Kind::kNegate, operand, nullptr);
    }
    return parsePrimary();
  }

  NodePtr parsePrimary() {
    skipSpace();
    if (mPos >= mText.size()) return fail("unexpected end");
    const char c = mText[mPos];
    if (c == '(') {
      ++mPos;
      NodePtr inner = parseSum();
      if (!inner) return nullptr;
      if (!accept(')')) return fail("expected \")\"");
      return inner;
    }
    if (detail::isDigit(c) || c == '.') return parseNumber();
    if (c == '$' || detail::isIdentStart(c)) return parseName();
    return fail(fmt::format("unexpected \"{}\"", c));
  }

  NodePtr parseNumber() {
    const std::size_t start = mPos;
    while (mPos < mText.size() && (detail::isDigit(mText[mPos]) || mText[mPos] == '.')) ++mPos;
    if (mPos < mText.size() && (mText[mPos] == 'e' || mText[mPos] == 'E')) {
      std::size_t e = mPos + 1;
      if (e < mText.size() && (mText[e] == '+' || mText[e] == '-')) ++e;
      if (e < mText.size() && detail::isDigit(mText[e])) {
        mPos = e;
        while (mPos < mText.size() && detail::isDigit(mText[mPos])) ++mPos;
      }
    }
    double value = 0;
    const char* first = mText.data() + start;
    const char* last = mText.data() + mPos;
    const auto [end, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || end != last || !std::isfinite(value)) {
      mPos = start;
      return fail(fmt::format("bad number \"{}\"", std::string_view(first, last - first)));
    }
    auto node = std::make_shared<Node>();
    node->number = value;
    return node;
  }

  NodePtr parseName() {
    const std::size_t start = mPos;
    const bool dollar = mText[mPos] == '$';
    if (dollar) ++mPos;
    const std::size_t nameStart = mPos;
    while (mPos < mText.size() && detail::isIdentChar(mText[mPos])) ++mPos;
    const std::string_view name = mText.substr(nameStart, mPos - nameStart);
    if (name.empty() || !detail::isIdentStart(name[0])) {
      mPos = start;
      return fail("expected a name after \"$\"");
    }
    const std::size_t afterName = mPos;
    if (!dollar && accept('(')) return parseCall(name, start);
    mPos = afterName;

    // "$x" and "x" both find an input x, and $WIDTH may be written WIDTH (VVISF accepts both).
    const std::string withDollar = fmt::format("${}", name);
    const std::string plain(name);
    const auto known = [&](const std::string& n) {
      return std::find(mKnown.begin(), mKnown.end(), n) != mKnown.end();
    };
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kName;
    if (known(dollar ? withDollar : plain)) {
      node->name = dollar ? withDollar : plain;
    } else if (known(dollar ? plain : withDollar)) {
      node->name = dollar ? plain : withDollar;
    } else {
      mPos = start;
      return fail(fmt::format("unknown name \"{}\"", mText.substr(start, afterName - start)));
    }
    return node;
  }

  NodePtr parseCall(std::string_view name, std::size_t start) {
    const auto function = std::find_if(std::begin(kFunctions), std::end(kFunctions),
                                       [&](const Function& f) { return f.name == name; });
    if (function == std::end(kFunctions)) {
      mPos = start;
      return fail(fmt::format("unknown function \"{}\"", name),
                  " (known: floor ceil round abs sqrt max min pow)");
    }
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kCall;
    node->function = &*function;
    node->a = parseSum();
    if (!node->a) return nullptr;
    if (function->arity == 2) {
      if (!accept(',')) return fail(fmt::format("{}() takes 2 arguments: expected \",\"", name));
      node->b = parseSum();
      if (!node->b) return nullptr;
    }
    if (!accept(')')) {
      return fail(fmt::format("{}() takes {} argument{}: expected \")\"", name, function->arity,
                              function->arity == 1 ? "" : "s"));
    }
    return node;
  }

  std::string_view mText;
  const std::vector<std::string>& mKnown;
  std::size_t mPos = 0;
  int mDepth = 0;
  std::string mError;
};

}  // namespace

std::optional<Expression> Expression::parse(std::string_view text,
                                            const std::vector<std::string>& knownNames,
                                            std::string* error) {
  std::string why;
  if (text.size() > kMaxTextBytes) {
    why = fmt::format("expression longer than {} characters", kMaxTextBytes);
  } else if (std::all_of(text.begin(), text.end(),
                         [](char c) { return detail::isBlank(c) || c == '\n'; })) {
    why = "empty expression at column 1";
  } else {
    Parser parser(text, knownNames);
    NodePtr root = parser.parseAll();
    if (root) {
      Expression e;
      e.mText = std::string(text);
      e.mRoot = std::move(root);
      return e;
    }
    why = parser.error();
  }
  if (error) *error = why;
  return std::nullopt;
}

double Expression::evaluate(const std::function<double(std::string_view)>& lookup) const {
  return mRoot ? finiteOrZero(mRoot->evaluate(lookup)) : 0.0;
}

}  // namespace tessera::render::isf
