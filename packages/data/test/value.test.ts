import { describe, expect, it } from "@effect/vitest"
import * as Value from "../src/Value.js"

describe("PS3.5 §6.2 · value formats", () => {
  it("PN: component groups and components (§6.2.1)", () => {
    expect(Value.parsePersonName("Adams^John Robert Quincy^^Rev.^B.A. M.Div.")).toMatchObject({
      familyName: "Adams",
      givenName: "John Robert Quincy",
      middleName: "",
      namePrefix: "Rev.",
      nameSuffix: "B.A. M.Div.",
      ideographic: "",
      phonetic: ""
    })
    const jp = Value.parsePersonName("Yamada^Tarou=山田^太郎=やまだ^たろう")
    expect([jp.alphabetic, jp.ideographic, jp.phonetic]).toEqual(["Yamada^Tarou", "山田^太郎", "やまだ^たろう"])
    expect(Value.formatPersonName({ familyName: "Doe", givenName: "John" })).toBe("Doe^John")
    expect(Value.formatPersonName({ familyName: "Yamada", givenName: "Tarou", ideographic: "山田^太郎" })).toBe("Yamada^Tarou=山田^太郎")
  })

  it("DA: YYYYMMDD, the ACR-NEMA form YYYY.MM.DD, and invalid dates", () => {
    expect(Value.parseDate("20240229")).toEqual({ year: 2024, month: 2, day: 29 })
    expect(Value.parseDate("1993.08.22")).toEqual({ year: 1993, month: 8, day: 22 })
    expect(Value.parseDate("20230229")).toBeUndefined()
    expect(Value.parseDate("20241301")).toBeUndefined()
    expect(Value.parseDate("2024011")).toBeUndefined()
    expect(Value.formatDate({ year: 2024, month: 1, day: 5 })).toBe("20240105")
  })

  it("TM: HH, HHMM, HHMMSS and fractions up to microseconds", () => {
    expect(Value.parseTime("07")).toEqual({ hours: 7, minutes: undefined, seconds: undefined, microseconds: undefined })
    expect(Value.parseTime("1015")).toEqual({ hours: 10, minutes: 15, seconds: undefined, microseconds: undefined })
    expect(Value.parseTime("235959.5")).toEqual({ hours: 23, minutes: 59, seconds: 59, microseconds: 500000 })
    expect(Value.parseTime("07:30:01")).toEqual({ hours: 7, minutes: 30, seconds: 1, microseconds: undefined })
    expect(Value.parseTime("2400")).toBeUndefined()
    expect(Value.parseTime("12.5")).toBeUndefined()
    expect(Value.formatTime({ hours: 9, minutes: 5, seconds: 3, microseconds: 120 })).toBe("090503.000120")
  })

  it("DT: partial date-times and UTC offsets", () => {
    expect(Value.parseDateTime("2024")).toMatchObject({ year: 2024, month: undefined, time: undefined })
    expect(Value.parseDateTime("20240131235959.123+0130")).toEqual({
      year: 2024,
      month: 1,
      day: 31,
      time: { hours: 23, minutes: 59, seconds: 59, microseconds: 123000 },
      utcOffsetMinutes: 90
    })
    expect(Value.parseDateTime("202401-0500")?.utcOffsetMinutes).toBe(-300)
    expect(Value.parseDateTime("2024013")).toBeUndefined()
  })

  it("DS and IS: numbers with surrounding spaces; DS formatting fits 16 characters", () => {
    expect(Value.parseNumber(" -1.5e3 ")).toBe(-1500)
    expect(Value.parseNumber("abc")).toBeUndefined()
    expect(Value.parseNumber("")).toBeUndefined()
    expect(Value.formatDecimal(0.1 + 0.2).length).toBeLessThanOrEqual(16)
    expect(Number(Value.formatDecimal(0.1 + 0.2))).toBeCloseTo(0.3, 12)
    expect(Value.formatDecimal(1.5)).toBe("1.5")
  })
})
