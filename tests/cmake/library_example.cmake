# The README's "Using the C library" example, as a user would build it: install the library
# into a scratch prefix, compile the example with the installed drumforge.pc, run it.
find_program(DF_PKG_CONFIG NAMES pkg-config)
if(DF_PKG_CONFIG AND NOT DRUMFORGE_SHARED)
  add_test(NAME test_library_example
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cmake/library_example.sh ${PROJECT_SOURCE_DIR}
            ${PROJECT_BINARY_DIR} ${CMAKE_CURRENT_BINARY_DIR}/library_example ${CMAKE_C_COMPILER})
  set_tests_properties(test_library_example PROPERTIES LABELS unit)
endif()
