/**
 * The dicomnet version (the package version), printed by `--version` and written into summaries.
 *
 * @since 0.1.0
 */

/**
 * The version string.
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION = "0.1.0"
