/** @reidfx/eval. @since 0.1.0 */
export {}
