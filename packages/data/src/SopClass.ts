/**
 * SOP classes (PS3.4) the networking layers ask about: the Storage SOP classes (including DICOS,
 * NEMA IIC 1) and the well-known Verification, Query/Retrieve, Worklist, Storage Commitment and MPPS classes.
 *
 * @since 0.1.0
 */
import * as Uid from "./Uid.js"

/**
 * Verification SOP Class (PS3.4 Annex A).
 *
 * @since 0.1.0
 * @category constants
 */
export const Verification = Uid.Uids.Verification

/**
 * Patient Root Query/Retrieve Information Model - FIND (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const PatientRootFind = Uid.Uids.PatientRootQueryRetrieveInformationModelFind

/**
 * Patient Root Query/Retrieve Information Model - MOVE (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const PatientRootMove = Uid.Uids.PatientRootQueryRetrieveInformationModelMove

/**
 * Patient Root Query/Retrieve Information Model - GET (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const PatientRootGet = Uid.Uids.PatientRootQueryRetrieveInformationModelGet

/**
 * Study Root Query/Retrieve Information Model - FIND (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const StudyRootFind = Uid.Uids.StudyRootQueryRetrieveInformationModelFind

/**
 * Study Root Query/Retrieve Information Model - MOVE (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const StudyRootMove = Uid.Uids.StudyRootQueryRetrieveInformationModelMove

/**
 * Study Root Query/Retrieve Information Model - GET (PS3.4 Annex C).
 *
 * @since 0.1.0
 * @category constants
 */
export const StudyRootGet = Uid.Uids.StudyRootQueryRetrieveInformationModelGet

/**
 * Modality Worklist Information Model - FIND (PS3.4 Annex K).
 *
 * @since 0.1.0
 * @category constants
 */
export const ModalityWorklistFind = Uid.Uids.ModalityWorklistInformationModelFind

/**
 * Storage Commitment Push Model SOP Class (PS3.4 Annex J).
 *
 * @since 0.1.0
 * @category constants
 */
export const StorageCommitmentPushModel = Uid.Uids.StorageCommitmentPushModel

/**
 * Modality Performed Procedure Step SOP Class (PS3.4 Annex F).
 *
 * @since 0.1.0
 * @category constants
 */
export const ModalityPerformedProcedureStep = Uid.Uids.ModalityPerformedProcedureStep

const dicosPrefix = "1.2.840.10008.5.1.4.1.1.501."

// "... Storage", "... Storage - For Presentation", "... Storage - For Processing", and the retired
// "... Storage - Trial" classes; not "... SOP Class" names (Storage Commitment, print management).
const storageName = /Storage( - (For Presentation|For Processing|Trial))?$/

const sopClasses = Uid.all.filter((u) => u.type === "SOP Class")

/**
 * The DICOS (NEMA IIC 1) storage SOP classes, 1.2.840.10008.5.1.4.1.1.501.*.
 *
 * @since 0.1.0
 * @category constants
 */
export const dicos: ReadonlyArray<string> = sopClasses.filter((u) => u.uid.startsWith(dicosPrefix)).map((u) => u.uid)

/**
 * Every Storage SOP class of PS3.6 Table A-1 (retired ones included) plus the DICOS classes.
 *
 * @since 0.1.0
 * @category constants
 */
export const storage: ReadonlyArray<string> = sopClasses
  .filter((u) => storageName.test(u.name) || u.uid.startsWith(dicosPrefix))
  .map((u) => u.uid)

const storageSet: ReadonlySet<string> = new Set(storage)

/**
 * True when the UID is a Storage SOP class (registered or DICOS).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isStorage = (uid: string): boolean => storageSet.has(uid)
