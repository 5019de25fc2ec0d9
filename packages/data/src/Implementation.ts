/**
 * How dicomnet identifies itself in Part 10 file meta information and A-ASSOCIATE user information.
 *
 * @since 0.1.0
 */

/**
 * Implementation Class UID of dicomnet: a UUID-derived root (PS3.5 §B.2), so no registered root is needed.
 *
 * @since 0.1.0
 * @category constants
 */
export const classUid = "2.25.300385271123004683727329880393218440611"

/**
 * Implementation Version Name of dicomnet (SH, at most 16 characters).
 *
 * @since 0.1.0
 * @category constants
 */
export const versionName = "DICOMNET_010"
