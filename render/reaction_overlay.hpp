// The default reactions overlay ([reactions] overlay = true): draws the sprites of
// planReactionSprites over a framebuffer, blended, in one instanced draw (shaders/reactions.*).
//
// Thread: the render thread, with its GL context current, for the object's whole life.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/types.hpp"
#include "platform/gl.hpp"
#include "render/reaction_sprites.hpp"

namespace tessera::render {

class ReactionOverlay {
 public:
  // Loads shaders/reactions.{vert,frag} from `shaderDir`. Null (with `error`) on failure.
  static std::unique_ptr<ReactionOverlay> create(core::SizePx canvas,
                                                 const std::filesystem::path& shaderDir,
                                                 std::string* error);
  // Draws `sprites` over what `framebuffer` holds; the canvas's alpha stays opaque.
  void draw(GLuint framebuffer, std::span<const ReactionSprite> sprites);

 private:
  ReactionOverlay() = default;

  core::SizePx mCanvas;
  platform::GlProgram mProgram;
  GLint mCanvasSize = -1;
  platform::GlVertexArray mVertexArray;
  platform::GlBuffer mInstances;
  std::size_t mCapacityBytes = 0;
};

}  // namespace tessera::render
