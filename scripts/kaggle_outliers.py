#!/usr/bin/python3
"""Compares explore.json outlier flags on ../shared/data/kaggle-brain-mri with the outlier lists
of that folder's README (transcribed below). Usage: kaggle_outliers.py OUT/explore.json [-v]"""
import json,sys
ex=json.load(open(sys.argv[1]))
S={i['file']:i for i in ex['images']}
def L(s,cls): return [cls+'/'+x for x in s.split()]
white=['yes/Y167.JPG','no/No16.jpg']
light=L('Y147.JPG Y185.jpg Y47.JPG Y82.jpg Y85.JPG','yes')
frame_full=L('Y10.jpg Y37.jpg Y89.JPG Y109.JPG Y101.jpg Y183.jpg Y120.JPG','yes')+['no/20 no.jpg']
frame_part=L('Y4.jpg Y8.jpg Y18.JPG Y35.jpg Y40.JPG Y42.jpg Y78.jpg Y81.jpg Y97.JPG Y98.JPG Y99.JPG Y111.JPG Y112.JPG Y146.JPG Y147.JPG Y148.JPG Y182.JPG Y184.JPG Y192.JPG','yes')+['no/32 no.jpg','no/33 no.jpg','no/5 no.jpg','no/No14.jpg','no/No18.jpg','no/no 89.jpg','no/no 92.jpg']
text=L('Y6.jpg Y14.jpg Y15.jpg Y17.jpg Y22.jpg Y26.jpg Y34.jpg Y46.jpg Y51.jpg Y52.jpg Y53.jpg Y59.JPG Y60.jpg Y75.JPG Y96.jpg Y103.jpg Y104.jpg Y113.JPG Y156.JPG Y158.JPG Y180.jpg Y181.jpg Y188.jpg Y195.JPG Y246.JPG Y250.jpg Y251.JPG Y256.JPG Y258.JPG','yes')+['no/15 no.jpg','no/29 no.jpg','no/32 no.jpg','no/44no.jpg','no/N11.jpg','no/No14.jpg']
letters=L('Y18.JPG Y40.JPG Y89.JPG Y98.JPG Y99.JPG Y111.JPG Y112.JPG Y146.JPG Y147.JPG Y148.JPG Y167.JPG Y192.JPG','yes')+['no/No12.jpg','no/33 no.jpg']
marks=text+letters+L('Y30.jpg Y38.jpg Y54.jpg Y70.jpg Y29.jpg Y168.jpg Y19.JPG Y184.JPG Y259.JPG Y73.jpg Y46.jpg Y104.jpg','yes')+['no/3 no.jpg','no/30 no.jpg','no/N15.jpg','no/24 no.jpg','no/45 no.jpg','no/46 no.jpg','no/31 no.jpg','no/5 no.jpg','no/no 9.png','no/no 10.jpg','no/No18.jpg']
colour=L('Y46.jpg Y47.JPG Y168.jpg Y259.JPG Y19.JPG Y120.JPG','yes')+['no/31 no.jpg','no/No18.jpg']
tint=L('Y16.JPG Y22.jpg Y59.JPG Y81.jpg Y82.jpg Y113.JPG Y193.JPG','yes')+['no/3 no.jpg']
tiny=L('Y1.jpg Y114.JPG Y184.JPG Y252.jpg Y60.jpg Y92.jpg','yes')+['no/34 no.jpg','no/9 no.jpg','no/10 no.jpg','no/14 no.jpg','no/6 no.jpg','no/11 no.jpg','no/13 no.jpg','no/42 no.jpg','no/12 no.jpg','no/43 no.jpg','no/N6.jpg']
def rep(name, ref, flag, key):
    ref=set(ref)
    flagged={f for f,i in S.items() if flag in i['outliers']}
    tp=len(ref&flagged)
    print(f"{name}: ref {len(ref)} flagged {len(flagged)} tp {tp} recall {tp/len(ref):.2f} precision {tp/max(1,len(flagged)):.2f}")
    if '-v' in sys.argv:
        print('  missed', sorted((S[f]['scores'][key],f) for f in ref-flagged))
        print('  extra', sorted((S[f]['scores'][key],f) for f in flagged-ref))
rep('white',white,'white_background','corner_median')
rep('light',light,'light_background','corner_median')
rep('frame',frame_full+frame_part,'bright_frame','frame')
rep('marks',marks,'corner_marks','corner_marks')
rep('colour',colour,'colour','mean_chroma')
rep('tiny',tiny,'tiny','short_side')
lc=[(i['scores']['contrast'],f) for f,i in S.items()]; lc.sort(); print('lowest contrast', lc[:8])
print('colour scores ref', sorted((S[f]['scores']['mean_chroma'],S[f]['scores']['chroma_px'],f) for f in colour))
print('tint', sorted((S[f]['scores']['mean_chroma'],S[f]['scores']['chroma_px'],f) for f in tint))
others=sorted(((i['scores']['mean_chroma'],i['scores']['chroma_px'],f) for f,i in S.items() if f not in colour and f not in tint), key=lambda t:-t[1])[:8]
print('top chroma_px non-ref', others)
cl=set(text+letters); fl={f for f,i in S.items() if 'corner_marks' in i['outliers']}
print('corner text+letters: ref',len(cl),'tp',len(cl&fl),'recall %.2f'%(len(cl&fl)/len(cl)), 'flagged not in any marks list', sorted(fl-set(marks)))
