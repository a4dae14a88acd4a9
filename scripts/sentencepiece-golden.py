# Writes the SentencePiece reference ids that SentencePieceTokenizerTest checks (needs python3-sentencepiece):
#   /usr/bin/python3 scripts/sentencepiece-golden.py ../shared/models/tinyllama-en-58m/tokenizer.model \
#     ../shared/datasets/wikitext-2-raw/wiki.test.raw ../shared/datasets/calibration/calibration-en.txt \
#     > datasets/src/test/resources/tokenizer/llama2-sentencepiece-golden.json
import json, sys, zlib, struct
import sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
cases = ["The capital of France is",
 "Once upon a time, there was a little girl who lived in a village near the forest.",
 "", " ", "  ", " \n", "\n", "  leading", "trailing  ", "a  b   c    d", "tab\tseparated\tvalues",
 " = Valkyria Chronicles III = \n", "\n \n = = Gameplay = = \n \n",
 "héllo wörld, naïve café", "给 中文 日本語 한국어", "emoji 😀🎉 end", "numbers 1234567 3.14159 -42",
 "<s> is text here, not BOS </s>", "x\u00a0y\u2003z", "line1\r\nline2", "      indented code",
 "Ünïcödé\u0301 combining", "🦀", "a", "\u2581already meta", "@-@ 1 @,@ 000 @.@ 5", "zero\u0000byte"]
out = []
for c in cases:
    out.append({"text": c, "ids": sp.encode(c)})
def crc(path):
    text = open(path, encoding="utf-8").read()
    ids = sp.encode(text)
    return {"file": path.split("/")[-1], "tokens": len(ids), "crc32": zlib.crc32(struct.pack("<%di" % len(ids), *ids))}
print(json.dumps({"generator": "sentencepiece " + spm.__version__ + " SentencePieceProcessor.encode (no BOS)", "cases": out,
  "files": [crc(p) for p in sys.argv[2:]]}, ensure_ascii=False, indent=1))
