/**
 * A readable multi-line rendering of any PDU and its items, in the spirit of DCMTK's `-d` output
 * and pynetdicom's debug log. UIDs are named from @dicomnet/data's UID registry.
 *
 * @since 0.1.0
 */
import { Uid } from "@dicomnet/data"
import { pDataTfLength, write } from "./internal/PduWriter.js"
import type * as Pdu from "./Pdu.js"

const hex = (n: number, width = 2): string => `0x${n.toString(16).padStart(width, "0")}`

/** "1.2.840.10008.1.2 (Implicit VR Little Endian)" for a registered UID, the UID alone otherwise. */
const named = (uid: string): string => {
  const name = Uid.nameOf(uid)
  return name === uid ? uid : `${uid} (${name})`
}

const printable = (bytes: Uint8Array, max = 64): string => {
  let s = ""
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) {
    const c = bytes[i] as number
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : "."
  }
  return bytes.length > max ? `${s}...` : s
}

const hexBytes = (bytes: Uint8Array, max = 32): string => {
  const parts: Array<string> = []
  const n = Math.min(bytes.length, max)
  for (let i = 0; i < n; i++) parts.push((bytes[i] as number).toString(16).padStart(2, "0"))
  return parts.join(" ") + (bytes.length > max ? " ..." : "")
}

const pcResults = ["acceptance", "user-rejection", "no-reason (provider rejection)", "abstract syntax not supported", "transfer syntaxes not supported"]
const identityTypes = ["", "username", "username and passcode", "Kerberos service ticket", "SAML assertion", "JSON web token"]

/** PS3.8 Table 9-21 reasons, by source. */
const rejectReason = (source: number, reason: number): string => {
  const bySource: Record<number, Record<number, string>> = {
    1: { 1: "no-reason-given", 2: "application-context-name-not-supported", 3: "calling-AE-title-not-recognized", 7: "called-AE-title-not-recognized" },
    2: { 1: "no-reason-given", 2: "protocol-version-not-supported" },
    3: { 1: "temporary-congestion", 2: "local-limit-exceeded" }
  }
  return bySource[source]?.[reason] ?? "reserved"
}
const rejectSources = ["", "DICOM UL service-user", "DICOM UL service-provider (ACSE related function)", "DICOM UL service-provider (presentation related function)"]
const abortSources = ["DICOM UL service-user", "reserved", "DICOM UL service-provider"]
const abortReasons = ["reason-not-specified", "unrecognized-PDU", "unexpected-PDU", "reserved", "unrecognized-PDU-parameter", "unexpected-PDU-parameter", "invalid-PDU-parameter-value"]

const renderUserInformation = (lines: Array<string>, ui: Pdu.UserInformation): void => {
  lines.push("  User Information (0x50)")
  lines.push(`    Maximum Length Received: ${ui.maxLength}${ui.maxLength === 0 ? " (unlimited)" : ""}`)
  lines.push(`    Implementation Class UID: ${ui.implementationClassUid}`)
  if (ui.implementationVersionName !== undefined) lines.push(`    Implementation Version Name: ${ui.implementationVersionName}`)
  if (ui.asyncOperationsWindow !== undefined) {
    const w = ui.asyncOperationsWindow
    lines.push(`    Asynchronous Operations Window: invoked ${w.maxOperationsInvoked}, performed ${w.maxOperationsPerformed}`)
  }
  for (const r of ui.roleSelections) {
    lines.push(`    SCP/SCU Role Selection: ${named(r.sopClassUid)} SCU=${r.scuRole ? 1 : 0} SCP=${r.scpRole ? 1 : 0}`)
  }
  for (const x of ui.extendedNegotiations) {
    lines.push(`    SOP Class Extended Negotiation: ${named(x.sopClassUid)} [${hexBytes(x.serviceClassApplicationInformation)}]`)
  }
  for (const c of ui.commonExtendedNegotiations) {
    lines.push(`    SOP Class Common Extended Negotiation: ${named(c.sopClassUid)}`)
    lines.push(`      Service Class: ${named(c.serviceClassUid)}`)
    for (const g of c.relatedGeneralSopClassUids) lines.push(`      Related General SOP Class: ${named(g)}`)
  }
  if (ui.userIdentity !== undefined) {
    const u = ui.userIdentity
    lines.push(`    User Identity: type ${u.userIdentityType} (${identityTypes[u.userIdentityType]}), positive response ${u.positiveResponseRequested ? "requested" : "not requested"}`)
    // Never print secrets: the primary field is shown for usernames only, the passcode never.
    lines.push(`      Primary Field: ${u.userIdentityType <= 2 ? printable(u.primaryField) : `${u.primaryField.length} bytes`}`)
    if (u.secondaryField.length > 0) lines.push(`      Secondary Field: ${u.secondaryField.length} bytes (hidden)`)
  }
  if (ui.userIdentityAc !== undefined) lines.push(`    User Identity Server Response: ${ui.userIdentityAc.serverResponse.length} bytes`)
  for (const u of ui.unknownItems) lines.push(`    Unknown Sub-item ${hex(u.itemType)}: ${u.data.length} bytes [${hexBytes(u.data)}]`)
}

/** Renders a PDU and all its items as readable text, one fact per line. @category rendering */
export const render = (pdu: Pdu.Pdu): string => {
  const lines: Array<string> = []
  switch (pdu._tag) {
    case "AAssociateRq":
    case "AAssociateAc": {
      const isRq = pdu._tag === "AAssociateRq"
      lines.push(`${isRq ? "A-ASSOCIATE-RQ (0x01)" : "A-ASSOCIATE-AC (0x02)"}, PDU length ${write(pdu).length - 6}`)
      lines.push(`  Protocol Version: ${pdu.protocolVersion}`)
      lines.push(`  Called AE Title:  "${pdu.calledAeTitle}"`)
      lines.push(`  Calling AE Title: "${pdu.callingAeTitle}"`)
      lines.push(`  Application Context: ${named(pdu.applicationContextName)}`)
      if (pdu._tag === "AAssociateRq") {
        for (const pc of pdu.presentationContexts) {
          lines.push(`  Presentation Context ${pc.presentationContextId} (0x20)`)
          lines.push(`    Abstract Syntax: ${named(pc.abstractSyntax)}`)
          for (const ts of pc.transferSyntaxes) lines.push(`    Transfer Syntax: ${named(ts)}`)
        }
      } else {
        for (const pc of pdu.presentationContexts) {
          lines.push(`  Presentation Context ${pc.presentationContextId} (0x21): ${pcResults[pc.result]} (${pc.result})`)
          if (pc.result === 0) lines.push(`    Transfer Syntax: ${named(pc.transferSyntax)}`)
        }
      }
      renderUserInformation(lines, pdu.userInformation)
      break
    }
    case "AAssociateRj":
      lines.push("A-ASSOCIATE-RJ (0x03)")
      lines.push(`  Result: ${pdu.result} (${pdu.result === 1 ? "rejected-permanent" : "rejected-transient"})`)
      lines.push(`  Source: ${pdu.source} (${rejectSources[pdu.source]})`)
      lines.push(`  Reason: ${pdu.reason} (${rejectReason(pdu.source, pdu.reason)})`)
      break
    case "PDataTf":
      lines.push(`P-DATA-TF (0x04), ${pdu.pdvs.length} PDV${pdu.pdvs.length === 1 ? "" : "s"}, PDU length ${pDataTfLength(pdu.pdvs)}`)
      for (const p of pdu.pdvs) {
        lines.push(
          `  PDV: context ${p.presentationContextId}, ${p.isCommand ? "command" : "data set"}, ${p.isLast ? "last" : "more"}, ${p.data.length} bytes`
        )
      }
      break
    case "AReleaseRq":
      lines.push("A-RELEASE-RQ (0x05)")
      break
    case "AReleaseRp":
      lines.push("A-RELEASE-RP (0x06)")
      break
    case "AAbort":
      lines.push("A-ABORT (0x07)")
      lines.push(`  Source: ${pdu.source} (${abortSources[pdu.source]})`)
      lines.push(`  Reason: ${pdu.reason} (${pdu.source === 2 ? (abortReasons[pdu.reason] ?? "reserved") : "not significant"})`)
      break
  }
  return lines.join("\n")
}
