-- GSM-7 / UCS-2 detection and segment counts (160/153, 70/67).
local sms = require "clevertap.sms"

describe("sms.facts", function()
  local function f(s) return assert(sms.facts(s)) end

  it("counts GSM-7 bodies: 160 in one SMS, 153 per segment after", function()
    assert.same({ encoding = "GSM-7", units = 0, characters = 0, segments = 1 }, f(""))
    assert.equal(1, f(string.rep("a", 160)).segments)
    assert.equal(2, f(string.rep("a", 161)).segments)
    assert.equal(2, f(string.rep("a", 306)).segments)
    assert.equal(3, f(string.rep("a", 307)).segments)
  end)

  it("treats the whole basic table as GSM-7, accents and Greek included", function()
    local body = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà"
    local r = f(body)
    assert.equal("GSM-7", r.encoding)
    assert.equal(r.characters, r.units)
  end)

  it("counts extension characters twice", function()
    local r = f("{}[]~\\|^€")
    assert.equal("GSM-7", r.encoding)
    assert.equal(9, r.characters)
    assert.equal(18, r.units)
    assert.equal(1, f(string.rep("€", 80)).segments)
    assert.equal(2, f(string.rep("€", 80) .. "a").segments)
  end)

  it("never splits an escape pair across segments", function()
    -- 152 plain + one extension char: 154 units, but the pair cannot start at 153
    local r = f(string.rep("a", 152) .. "€" .. string.rep("a", 7))
    assert.equal(161, r.units)
    assert.equal(2, r.segments)
    r = f(string.rep("a", 152) .. "€" .. string.rep("a", 152))
    assert.equal(306, r.units)
    assert.equal(3, r.segments)
  end)

  it("switches to UCS-2 for any other character: 70 in one SMS, 67 per segment", function()
    assert.equal("UCS-2", f("`").encoding)
    assert.equal("UCS-2", f("नमस्ते").encoding)
    assert.equal(1, f(string.rep("अ", 70)).segments)
    assert.equal(2, f(string.rep("अ", 71)).segments)
    assert.equal(2, f(string.rep("अ", 134)).segments)
    assert.equal(3, f(string.rep("अ", 135)).segments)
    -- once UCS-2, GSM extension characters are single units
    assert.equal(2, f("€ç").units)
  end)

  it("counts characters outside the BMP as two UTF-16 units, never split", function()
    local r = f("😀")
    assert.same({ encoding = "UCS-2", units = 2, characters = 1, segments = 1 }, r)
    assert.equal(1, f(string.rep("😀", 35)).segments)
    assert.equal(2, f(string.rep("😀", 35) .. "a").segments)
    -- 66 units then a pair: the pair moves to the next segment
    r = f(string.rep("a", 66) .. "😀" .. string.rep("a", 66))
    assert.equal(134, r.units)
    assert.equal(3, r.segments)
  end)

  it("refuses text that is not UTF-8, raises on non-strings", function()
    local r, err = sms.facts("\255")
    assert.is_nil(r)
    assert.equal("validation", err.kind)
    assert.has_error(function() sms.facts(5) end)
  end)
end)
