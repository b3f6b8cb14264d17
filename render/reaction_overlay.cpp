#include "render/reaction_overlay.hpp"

#include <cstddef>

#include "render/shader_source.hpp"

namespace tessera::render {

std::unique_ptr<ReactionOverlay> ReactionOverlay::create(core::SizePx canvas,
                                                         const std::filesystem::path& shaderDir,
                                                         std::string* error) {
  std::string vs, fs;
  const auto vsPath = shaderDir / "reactions.vert", fsPath = shaderDir / "reactions.frag";
  if (!readShaderFile(vsPath, &vs) || !readShaderFile(fsPath, &fs)) {
    if (error) *error = "cannot read " + vsPath.string() + " or " + fsPath.string();
    return nullptr;
  }
  std::string log;
  auto program = platform::buildProgram(vs, fs, &log);
  if (!program) {
    if (error) *error = "shaders/reactions: " + log;
    return nullptr;
  }
  std::unique_ptr<ReactionOverlay> o(new ReactionOverlay());
  o->mCanvas = canvas;
  o->mProgram = std::move(*program);
  o->mCanvasSize = glGetUniformLocation(o->mProgram.id(), "uCanvasSize");
  o->mVertexArray = platform::makeVertexArray();
  o->mInstances = platform::makeBuffer();
  glBindVertexArray(o->mVertexArray.id());
  glBindBuffer(GL_ARRAY_BUFFER, o->mInstances.id());
  glEnableVertexAttribArray(0);
  glVertexAttribPointer(0, 4, GL_FLOAT, GL_FALSE, sizeof(ReactionSprite),
                        reinterpret_cast<void*>(offsetof(ReactionSprite, x)));
  glVertexAttribDivisor(0, 1);
  glEnableVertexAttribArray(1);
  glVertexAttribPointer(1, 1, GL_FLOAT, GL_FALSE, sizeof(ReactionSprite),
                        reinterpret_cast<void*>(offsetof(ReactionSprite, kind)));
  glVertexAttribDivisor(1, 1);
  glBindVertexArray(0);
  if (auto e = platform::glErrorString(); !e.empty()) {
    if (error) *error = "reactions overlay set-up failed: " + e;
    return nullptr;
  }
  return o;
}

void ReactionOverlay::draw(GLuint framebuffer, std::span<const ReactionSprite> sprites) {
  if (sprites.empty()) return;
  static_assert(offsetof(ReactionSprite, alpha) == offsetof(ReactionSprite, x) + 3 * sizeof(float),
                "aSprite reads x, y, size, alpha in a row");
  glBindBuffer(GL_ARRAY_BUFFER, mInstances.id());
  const std::size_t bytes = sprites.size_bytes();
  if (bytes > mCapacityBytes) {
    glBufferData(GL_ARRAY_BUFFER, static_cast<GLsizeiptr>(bytes), sprites.data(), GL_DYNAMIC_DRAW);
    mCapacityBytes = bytes;
  } else {
    glBufferSubData(GL_ARRAY_BUFFER, 0, static_cast<GLsizeiptr>(bytes), sprites.data());
  }
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glViewport(0, 0, mCanvas.width, mCanvas.height);
  glEnable(GL_BLEND);
  glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
  glUseProgram(mProgram.id());
  glUniform2f(mCanvasSize, static_cast<float>(mCanvas.width), static_cast<float>(mCanvas.height));
  glBindVertexArray(mVertexArray.id());
  glDrawArraysInstanced(GL_TRIANGLE_STRIP, 0, 4, static_cast<GLsizei>(sprites.size()));
  glBindVertexArray(0);
  glDisable(GL_BLEND);
}

}  // namespace tessera::render
