"""Reject answers that would bake a broken project, before anything is written.

The rules are copier.yml's validators, evaluated here for cookiecutter (and cruft)
exactly as copier evaluates them, in question order: each failure prints one line
(what is wrong, what is allowed) and exits 1; cookiecutter then removes the output
directory. scripts/cookiecutter_json.py copies them below from copier.yml (cruft runs
this hook without the template's directory at hand).
"""

import json
import sys

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
import yaml

# The answers arrive as data, never as code: a name with quotes cannot break out.
ANSWERS = json.loads(
    r"""
{{ cookiecutter | tojson }}
""".strip()
)

# Written by scripts/cookiecutter_json.py from copier.yml; do not edit.
QUESTIONS = yaml.safe_load(
    r"""{% raw %}
supported:
  when: false
  type: yaml
  default: |-
    keras_full: [image-classification, text-classification]
    keras_piece: [image-feature-vector, text-embedding]
    checkpoint: [image-classification, image-feature-vector, text-classification, text-embedding]
tasks:
  when: false
  type: yaml
  default: |-
    image-classification: "image-classification: logits [batch, num_classes]"
    image-feature-vector: "image-feature-vector: features [batch, num_features]"
    text-classification: "text-classification: strings [batch] -> logits [batch, num_classes]"
    text-embedding: "text-embedding: strings [batch] -> {pooled_output, sequence_output}"
python_keywords:
  when: false
  type: yaml
  default: '["False", "None", "True", and, as, assert, async, await, break, class, continue,
    def, del, elif, else, except, finally, for, from, global, if, import, in, is, lambda, nonlocal,
    not, or, pass, raise, return, try, while, with, yield]'
reserved_names:
  when: false
  type: yaml
  default: '[ tensorflow, tensorflow_hub, keras, tf_keras, absl, numpy, pytest, __future__,
    _abc, _aix_support, _android_support, _ast, _asyncio, _bisect, _blake2, _bootsubprocess,
    _bz2, _codecs, _codecs_cn, _codecs_hk, _codecs_iso2022, _codecs_jp, _codecs_kr, _codecs_tw,
    _collections, _collections_abc, _colorize, _compat_pickle, _compression, _contextvars, _crypt,
    _csv, _ctypes, _curses, _curses_panel, _datetime, _dbm, _decimal, _elementtree, _frozen_importlib,
    _frozen_importlib_external, _functools, _gdbm, _hashlib, _heapq, _imp, _interpchannels,
    _interpqueues, _interpreters, _io, _ios_support, _json, _locale, _lsprof, _lzma, _markupbase,
    _md5, _msi, _multibytecodec, _multiprocessing, _opcode, _opcode_metadata, _operator, _osx_support,
    _overlapped, _pickle, _posixshmem, _posixsubprocess, _py_abc, _pydatetime, _pydecimal, _pyio,
    _pylong, _pyrepl, _queue, _random, _scproxy, _sha1, _sha2, _sha256, _sha3, _sha512, _signal,
    _sitebuiltins, _socket, _sqlite3, _sre, _ssl, _stat, _statistics, _string, _strptime, _struct,
    _suggestions, _symtable, _sysconfig, _thread, _threading_local, _tkinter, _tokenize, _tracemalloc,
    _typing, _uuid, _warnings, _weakref, _weakrefset, _winapi, _wmi, _zoneinfo, abc, aifc, antigravity,
    argparse, array, ast, asynchat, asyncio, asyncore, atexit, audioop, base64, bdb, binascii,
    binhex, bisect, builtins, bz2, cProfile, calendar, cgi, cgitb, chunk, cmath, cmd, code,
    codecs, codeop, collections, colorsys, compileall, concurrent, configparser, contextlib,
    contextvars, copy, copyreg, crypt, csv, ctypes, curses, dataclasses, datetime, dbm, decimal,
    difflib, dis, distutils, doctest, email, encodings, ensurepip, enum, errno, faulthandler,
    fcntl, filecmp, fileinput, fnmatch, fractions, ftplib, functools, gc, genericpath, getopt,
    getpass, gettext, glob, graphlib, grp, gzip, hashlib, heapq, hmac, html, http, idlelib,
    imaplib, imghdr, imp, importlib, inspect, io, ipaddress, itertools, json, keyword, lib2to3,
    linecache, locale, logging, lzma, mailbox, mailcap, marshal, math, mimetypes, mmap, modulefinder,
    msilib, msvcrt, multiprocessing, netrc, nis, nntplib, nt, ntpath, nturl2path, numbers, opcode,
    operator, optparse, os, ossaudiodev, pathlib, pdb, pickle, pickletools, pipes, pkgutil,
    platform, plistlib, poplib, posix, posixpath, pprint, profile, pstats, pty, pwd, py_compile,
    pyclbr, pydoc, pydoc_data, pyexpat, queue, quopri, random, re, readline, reprlib, resource,
    rlcompleter, runpy, sched, secrets, select, selectors, shelve, shlex, shutil, signal, site,
    smtpd, smtplib, sndhdr, socket, socketserver, spwd, sqlite3, sre_compile, sre_constants,
    sre_parse, ssl, stat, statistics, string, stringprep, struct, subprocess, sunau, symtable,
    sys, sysconfig, syslog, tabnanny, tarfile, telnetlib, tempfile, termios, textwrap, this,
    threading, time, timeit, tkinter, token, tokenize, tomllib, trace, traceback, tracemalloc,
    tty, turtle, turtledemo, types, typing, unicodedata, unittest, urllib, uu, uuid, venv, warnings,
    wave, weakref, webbrowser, winreg, winsound, wsgiref, xdrlib, xml, xmlrpc, zipapp, zipfile,
    zipimport, zlib, zoneinfo ]'
template_version:
  when: false
  type: str
  default: 0.4.0
model_type: {}
keras_flavour:
  validator: |-
    {%- if model_type == 'checkpoint' and keras_flavour != 'keras3' -%}
    keras_flavour applies to the Keras model types; model_type 'checkpoint' needs keras3
    {%- endif %}
task:
  choices: |-
    {%- for value, label in tasks.items() %}
    {{ label | tojson }}:
      value: {{ value | tojson }}
      validator: {{ ('' if value in supported[model_type] else "task '" ~ value ~ "' does not fit model_type '" ~ model_type ~ "'; it exports " ~ supported[model_type] | sort | join(' or ')) | tojson }}
    {%- endfor %}
inputs:
  when: false
  type: str
  default: '{{ task.split(''-'')[0] }}'
exports:
  when: false
  type: str
  default: '{{ ''piece'' if model_type == ''keras_piece'' else ''whole'' }}'
builder:
  when: false
  type: str
  default: '{{ ''module'' if model_type == ''checkpoint'' else keras_flavour }}'
image_size:
  validator: |-
    {%- if inputs == 'text' and image_size != '64' -%}
    image_size applies to image tasks; task '{{ task }}' takes strings, leave it at 64
    {%- elif not image_size or image_size | reject('in', '0123456789') | list or not 16 <= image_size | int <= 1024 -%}
    image_size '{{ image_size }}' must be an integer from 16 to 1024
    {%- endif %}
project_name: {}
ascii_letters:
  when: false
  type: yaml
  default: '{à: a, á: a, â: a, ã: a, ä: a, å: a, æ: ae, ç: c, è: e, é: e, ê: e, ë: e, ì: i,
    í: i, î: i, ï: i, ð: d, ñ: n, ò: o, ó: o, ô: o, õ: o, ö: o, ø: o, ù: u, ú: u, û: u, ü: u,
    ý: y, þ: th, ÿ: y, ß: ss, œ: oe}'
project_slug:
  validator: |-
    {%- if not project_slug or project_slug | reject('in', 'abcdefghijklmnopqrstuvwxyz0123456789-') | list or project_slug.startswith('-') or project_slug.endswith('-') -%}
    project_slug '{{ project_slug }}' must be lowercase ASCII letters, digits and inner hyphens
    {%- endif %}
package_name:
  validator: |-
    {%- if not (package_name.isidentifier() and package_name.isascii()) -%}
    package_name '{{ package_name }}' is not a Python identifier; use a-z, 0-9 and _
    {%- elif package_name in python_keywords -%}
    package_name '{{ package_name }}' is a Python keyword; choose another name
    {%- elif package_name in reserved_names -%}
    package_name '{{ package_name }}' would shadow the module of that name; choose another name
    {%- elif package_name | length > 40 -%}
    package_name '{{ package_name }}' has {{ package_name | length }} characters; use at most 40 (the generated code stays within ruff's 100 columns)
    {%- endif %}
publisher:
  validator: |-
    {%- if not publisher or publisher | reject('in', 'abcdefghijklmnopqrstuvwxyz0123456789-') | list -%}
    publisher '{{ publisher }}' must match [a-z0-9-]+
    {%- endif %}
model_name:
  validator: |-
    {%- if not model_name or model_name | reject('in', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-') | list -%}
    model_name '{{ model_name }}' must match [A-Za-z0-9_.-]+
    {%- endif %}
model_version:
  validator: |-
    {%- if not model_version or model_version | reject('in', '0123456789') | list or model_version.startswith('0') -%}
    model_version '{{ model_version }}' must be a positive integer
    {%- endif %}
license: {}
author: {}
{% endraw %}""".strip()
)
# End of what scripts/cookiecutter_json.py writes.


def problems(answers, config):
    """Yield the message of each answer copier.yml's validators refuse, in question order."""
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)

    def render(text, context):
        return env.from_string(str(text)).render(context).strip()

    context = {}
    for name, question in config.items():
        if question.get("when") is False:  # Data and derived facts, never asked.
            value = render(question["default"], context)
            context[name] = yaml.safe_load(value) if question.get("type") == "yaml" else value
            continue
        value = context[name] = answers[name]
        choices = question.get("choices")
        if isinstance(choices, str):  # Choices that depend on earlier answers.
            offered = yaml.safe_load(render(choices, context))
            allowed = {choice["value"]: choice.get("validator", "") for choice in offered.values()}
            if value not in allowed:
                yield f"{name} {value!r} is not one of {', '.join(allowed)}"
            elif message := render(allowed[value], context):
                yield message
        if message := render(question.get("validator", ""), context):
            yield message


def main():
    message = next(problems(ANSWERS, QUESTIONS), None)
    if message:
        print(f"ERROR: {message}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
