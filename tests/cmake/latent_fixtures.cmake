# On demand only: `cmake --build build --target latent_fixtures` rewrites
# tests/fixtures/latent/latent_losses.safetensors with tests/make_latent_fixtures.py (Debian's
# python3-torch); test_latent_loss reads the committed file.
if(DF_SYSTEM_PYTHON)
  add_custom_target(latent_fixtures
    COMMAND ${DF_SYSTEM_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/make_latent_fixtures.py
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    COMMENT "Regenerating the latent-loss fixtures in tests/fixtures"
    VERBATIM)
endif()
